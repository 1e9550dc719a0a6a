#include "apps/bench/report.h"

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/error.h"

namespace cudanet::bench {

namespace {

bool is_vendor(const std::string& algo) { return algo == "cudnn" || algo == "cublas" || algo == "vendor"; }

const char* unit_name(Unit u) {
  switch (u) {
    case Unit::Flop: return "GFLOP/s";
    case Unit::Byte: return "GB/s";
    case Unit::Image: return "img/s";
  }
  return "";
}

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

std::string time_str(double ms) {
  if (!std::isfinite(ms)) return "-";
  return ms < 1 ? fmt("%.1f us", ms * 1e3) : fmt("%.3f ms", ms);
}

std::string percent(double f) { return std::isfinite(f) ? fmt("%.1f%%", 100 * f) : "-"; }

nlohmann::json num(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }

// The distributed columns: bus bandwidth, or the parts of the training step.
std::string dist_detail(const Result& r) {
  std::string s = std::to_string(r.world) + (r.world == 1 ? " rank" : " ranks");
  if (std::isfinite(r.busbw)) s += fmt(", busbw %.2f GB/s", r.busbw);
  // The parts of a step, each against the previous one; below zero when the
  // ranks' noise exceeds what a part costs.
  auto part = [](double ms) {
    std::string p(1, ms < 0 ? '-' : '+');  // appended: GCC 12 warns (-Wrestrict) on "literal" + std::string
    return p += time_str(std::abs(ms));
  };
  if (std::isfinite(r.local_ms))
    s += ", local step " + time_str(r.local_ms) + ", " + part(r.sync_ms - r.local_ms) + " sync, " +
         part(r.median_ms - r.sync_ms) + " gradient" + fmt(", efficiency %.1f%%", 100 * r.local_ms / r.median_ms);
  if (!r.note.empty()) s += "; " + r.note;
  return s;
}

nlohmann::json ceilings_json(const std::optional<Ceilings>& c) {
  if (!c) return nullptr;
  return {{"fp32_gflops", num(c->fp32_gflops)},
          {"fp32_source", c->fp32_source},
          {"bandwidth_gbs", num(c->bandwidth_gbs)},
          {"bandwidth_source", c->bandwidth_source}};
}

}  // namespace

void fill_fractions(std::vector<Result>& group, const RunInfo& info) {
  const Result* vendor = nullptr;
  for (const Result& r : group)
    if (is_vendor(r.algo) && r.status == Status::Ok) vendor = &r;
  for (Result& r : group) {
    if (r.status != Status::Ok || r.world > 0) continue;  // a distributed case has no ceiling or vendor row
    const std::optional<Ceilings>& c = r.device == "cuda" ? info.cuda_ceilings : info.cpu_ceilings;
    if (c) {
      if (r.unit == Unit::Byte) r.ceiling_fraction = r.rate / c->bandwidth_gbs;
      else if (r.flops > 0) r.ceiling_fraction = r.flops / (r.median_ms * 1e-3) / 1e9 / c->fp32_gflops;
    }
    if (vendor && !is_vendor(r.algo) && r.device == vendor->device) r.vendor_fraction = r.rate / vendor->rate;
  }
}

void print_run_info(std::FILE* out, const RunInfo& info) {
  std::fprintf(out, "cudanet-bench %s, commit %s, %s\n", info.version.c_str(), info.commit.c_str(), info.date.c_str());
  std::fprintf(out, "cpu: %s, %d threads, CPU kernels: %s\n", info.cpu.c_str(), info.threads,
               info.cpu_capability.c_str());
  std::fprintf(out, "gpu: %s\n", info.card.c_str());
  std::fprintf(out, "tf32: %s; timing: median of up to %d runs after %d warm-up, %s, CPU cases by %s\n",
               info.tf32.c_str(), info.options.repeats, info.options.warmup,
               info.options.flush_l2 ? "L2 flushed before every CUDA run" : "no L2 flush",
               info.options.cpu_clock ? "process CPU time" : "wall time");
  std::fprintf(out, "end-to-end data: %s\n", info.options.data.empty() ? "synthetic normal(0, 1)" : info.options.data.c_str());
  if (!info.dist.empty()) std::fprintf(out, "distributed: %s\n", info.dist.c_str());
  auto ceil = [&](const char* dev, const std::optional<Ceilings>& c) {
    if (!c) return;
    std::fprintf(out, "ceilings (%s): %.1f GFLOP/s (%s); %.1f GB/s (%s)\n", dev, c->fp32_gflops,
                 c->fp32_source.c_str(), c->bandwidth_gbs, c->bandwidth_source.c_str());
  };
  ceil("cpu", info.cpu_ceilings);
  ceil("cuda", info.cuda_ceilings);
  std::fprintf(out, "\n");
}

void print_table_header(std::FILE* out) {
  std::fprintf(out, "%-40s %-7s %11s %22s %7s %8s %9s\n", "case", "status", "median", "rate", "%peak", "%vendor",
               "rel.err");
  std::fflush(out);
}

void print_rows(std::FILE* out, const std::vector<Result>& results) {
  for (const Result& r : results) {
    if (r.status != Status::Ok) {
      std::string err = std::isfinite(r.err) ? fmt(" (rel.err %.2e)", r.err) : "";
      std::fprintf(out, "%-40s %-7s %s%s\n", r.name.c_str(), status_name(r.status), r.note.c_str(), err.c_str());
      continue;
    }
    const std::string rate = fmt(r.unit == Unit::Image ? "%.0f" : "%.1f", r.rate) + " " + unit_name(r.unit);
    const std::string err = std::isfinite(r.err) ? fmt("%.1e", r.err) : "-";
    std::fprintf(out, "%-40s %-7s %11s %22s %7s %8s %9s", r.name.c_str(), "ok", time_str(r.median_ms).c_str(),
                 rate.c_str(), percent(r.ceiling_fraction).c_str(), percent(r.vendor_fraction).c_str(), err.c_str());
    if (std::isfinite(r.steps_per_s)) std::fprintf(out, "  %.1f steps/s", r.steps_per_s);
    if (r.world > 0) std::fprintf(out, "  %s", dist_detail(r).c_str());
    std::fprintf(out, "\n");
  }
  std::fflush(out);
}

std::string summary_line(const std::vector<Result>& results) {
  int n[4] = {0, 0, 0, 0};
  for (const Result& r : results) ++n[static_cast<int>(r.status)];
  return detail::cat(n[0], " ok, ", n[1], " wrong, ", n[3], " failed, ", n[2], " skipped");
}

void write_json(const std::string& path, const RunInfo& info, const std::vector<Result>& results) {
  nlohmann::json j;
  j["meta"] = {{"date", info.date},
               {"commit", info.commit},
               {"version", info.version},
               {"card", info.card},
               {"cpu", info.cpu},
               {"threads", info.threads},
               {"cpu_capability", info.cpu_capability},
               {"tf32", info.tf32},
               {"repeats", info.options.repeats},
               {"warmup", info.options.warmup},
               {"l2_flush", info.options.flush_l2},
               {"cpu_clock", info.options.cpu_clock ? "process CPU time" : "wall time"},
               {"e2e_steps_per_window", info.options.e2e_steps},
               {"e2e_data", info.options.data.empty() ? "synthetic normal(0, 1)" : info.options.data}};
  if (!info.dist.empty()) j["meta"]["distributed"] = info.dist;
  j["ceilings"] = {{"cpu", ceilings_json(info.cpu_ceilings)}, {"cuda", ceilings_json(info.cuda_ceilings)}};
  nlohmann::json rows = nlohmann::json::array();
  for (const Result& r : results) {
    nlohmann::json o = {{"name", r.name},
                        {"group", r.group},
                        {"algo", r.algo},
                        {"device", r.device},
                        {"tags", r.tags},
                        {"status", status_name(r.status)},
                        {"note", r.note},
                        {"unit", unit_name(r.unit)},
                        {"work", r.work},
                        {"median_ms", num(r.median_ms)},
                        {"min_ms", num(r.min_ms)},
                        {"runs", r.ms.size()},
                        {"rate", num(r.rate)},
                        {"rel_err", num(r.err)},
                        {"tolerance", num(r.tol)},
                        {"ceiling_fraction", num(r.ceiling_fraction)},
                        {"vendor_fraction", num(r.vendor_fraction)}};
    if (r.world > 0) {
      o["world"] = r.world;
      if (r.unit == Unit::Byte) o["busbw_gbs"] = num(r.busbw);
      if (r.unit == Unit::Image) {
        o["local_ms"] = num(r.local_ms);
        o["sync_ms"] = num(r.sync_ms);
        o["communication_ms"] = num(r.median_ms - r.local_ms);
        o["efficiency"] = num(r.local_ms / r.median_ms);
      }
    }
    if (r.unit == Unit::Image) {
      o["batch"] = r.batch;
      o["steps_per_s"] = num(r.steps_per_s);
      o["flops_per_step"] = r.flops;
    }
    rows.push_back(std::move(o));
  }
  j["results"] = std::move(rows);
  // Written beside and renamed over: a reader never sees half a document.
  const std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp);
    CUDANET_CHECK(f, "cannot write the JSON report to '", tmp, "'");
    f << j.dump(2) << "\n";
    CUDANET_CHECK(f.good(), "writing the JSON report to '", tmp, "' failed");
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  CUDANET_CHECK(!ec, "cannot move '", tmp, "' to '", path, "': ", ec.message());
}

}  // namespace cudanet::bench
