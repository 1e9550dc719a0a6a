# Installs libcudanet.a, the public headers and the CMake package
# (find_package(cudanet) -> cudanet::cudanet).
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(CUDANET_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/cudanet)

install(TARGETS cudanet EXPORT cudanetTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
# Public headers only: CUDA-facing internals (core/cuda, kernels/) and dist/'s
# transports stay behind.
foreach(dir core layers optim io train dist)
  install(DIRECTORY ${dir}/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/cudanet/${dir}
          FILES_MATCHING PATTERN "*.h" PATTERN "cuda" EXCLUDE PATTERN "ops" EXCLUDE PATTERN "transport.h" EXCLUDE)
endforeach()
install(FILES include/cudanet/cudanet.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/cudanet)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/generated/core/version.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/cudanet/core)

install(EXPORT cudanetTargets NAMESPACE cudanet:: DESTINATION ${CUDANET_CMAKE_DIR})
configure_package_config_file(cmake/cudanetConfig.cmake.in ${CMAKE_CURRENT_BINARY_DIR}/cudanetConfig.cmake
                              INSTALL_DESTINATION ${CUDANET_CMAKE_DIR})
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/cudanetConfigVersion.cmake
                                 VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/cudanetConfig.cmake ${CMAKE_CURRENT_BINARY_DIR}/cudanetConfigVersion.cmake
              cmake/FindCUDNN.cmake cmake/FindNCCL.cmake
        DESTINATION ${CUDANET_CMAKE_DIR})
