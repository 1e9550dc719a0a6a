#include "train/plot.h"

#include <algorithm>
#include <cstdio>
#include <functional>
#include <sstream>

#include "io/file_io.h"

namespace cudanet {

namespace {

constexpr double kPanelW = 420, kPanelH = 260, kMargin = 50;

struct Series {
  std::string name, color;
  bool dashed;
  std::function<double(const EpochStats&)> get;
};

std::string escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '<') out += "&lt;";
    else if (c == '>') out += "&gt;";
    else if (c == '&') out += "&amp;";
    else out += c;
  }
  return out;
}

void panel(std::ostringstream& os, double x0, const char* title, const std::vector<EpochStats>& h,
           const std::vector<Series>& series) {
  double lo = 1e300, hi = -1e300;
  for (const auto& s : series)
    for (const auto& e : h) lo = std::min(lo, s.get(e)), hi = std::max(hi, s.get(e));
  if (!(hi > lo)) hi = lo + 1;
  const double pad = 0.05 * (hi - lo);
  lo -= pad, hi += pad;
  const int n = static_cast<int>(h.size());
  auto px = [&](int i) { return x0 + kMargin + (n > 1 ? (kPanelW - 2 * kMargin) * i / (n - 1) : (kPanelW - 2 * kMargin) / 2); };
  auto py = [&](double v) { return 40 + (kPanelH - kMargin) * (hi - v) / (hi - lo); };
  char buf[256];
  std::snprintf(buf, sizeof buf, "<text x='%.1f' y='28' font-size='15' font-weight='bold'>%s</text>\n", x0 + kMargin,
                title);
  os << buf;
  std::snprintf(buf, sizeof buf, "<rect x='%.1f' y='40' width='%.1f' height='%.1f' fill='none' stroke='#999'/>\n",
                x0 + kMargin, kPanelW - 2 * kMargin, kPanelH - kMargin);
  os << buf;
  for (int t = 0; t <= 4; ++t) {
    const double v = lo + (hi - lo) * t / 4;
    std::snprintf(buf, sizeof buf, "<text x='%.1f' y='%.1f' font-size='10' text-anchor='end'>%.3g</text>\n",
                  x0 + kMargin - 4, py(v) + 3, v);
    os << buf;
  }
  for (int i = 0; i < n; ++i) {
    std::snprintf(buf, sizeof buf, "<text x='%.1f' y='%.1f' font-size='10' text-anchor='middle'>%d</text>\n", px(i),
                  40 + kPanelH - kMargin + 14, h[i].epoch);
    os << buf;
  }
  std::snprintf(buf, sizeof buf, "<text x='%.1f' y='%.1f' font-size='11' text-anchor='middle'>epoch</text>\n",
                x0 + kPanelW / 2, 40 + kPanelH - kMargin + 30);
  os << buf;
  int legend = 0;
  for (const auto& s : series) {
    os << "<polyline fill='none' stroke='" << s.color << "' stroke-width='2'"
       << (s.dashed ? " stroke-dasharray='6 4'" : "") << " points='";
    for (int i = 0; i < n; ++i) {
      std::snprintf(buf, sizeof buf, "%.1f,%.1f ", px(i), py(s.get(h[i])));
      os << buf;
    }
    os << "'/>\n";
    for (int i = 0; i < n; ++i) {
      std::snprintf(buf, sizeof buf, "<circle cx='%.1f' cy='%.1f' r='3' fill='%s'/>\n", px(i), py(s.get(h[i])),
                    s.color.c_str());
      os << buf;
    }
    // The legend sits beside the title, above the plot area, so it never covers a curve.
    std::snprintf(buf, sizeof buf, "<text x='%.1f' y='28' font-size='11' fill='%s'>%s %s</text>\n",
                  x0 + kMargin + 80 + 120.0 * legend++, s.color.c_str(), s.dashed ? "- -" : "\u2014",
                  s.name.c_str());
    os << buf;
  }
}

}  // namespace

std::string training_plot_svg(const std::vector<EpochStats>& h, const std::string& title) {
  std::ostringstream os;
  os << "<?xml version='1.0' encoding='UTF-8'?>\n"
     << "<svg xmlns='http://www.w3.org/2000/svg' width='" << 2 * kPanelW << "' height='" << kPanelH + 50
     << "' font-family='sans-serif'>\n<title>" << escape(title) << "</title>\n"
     << "<rect width='100%' height='100%' fill='white'/>\n";
  const bool val = !h.empty() && h.front().has_val;
  std::vector<Series> loss{{"train loss", "#1f77b4", false, [](const EpochStats& e) { return e.loss; }}};
  std::vector<Series> acc{{"train accuracy", "#1f77b4", false, [](const EpochStats& e) { return e.accuracy; }}};
  if (val) {
    loss.push_back({"val loss", "#d62728", true, [](const EpochStats& e) { return e.val_loss; }});
    acc.push_back({"val accuracy", "#d62728", true, [](const EpochStats& e) { return e.val_accuracy; }});
  }
  if (!h.empty()) {
    panel(os, 0, "loss", h, loss);
    panel(os, kPanelW, "accuracy", h, acc);
  }
  os << "</svg>\n";
  return os.str();
}

void write_training_plot(const std::string& path, const std::vector<EpochStats>& h, const std::string& title) {
  const std::string svg = training_plot_svg(h, title);
  write_file_atomic(path, svg.data(), svg.size());
}

}  // namespace cudanet
