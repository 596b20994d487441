#include "tapegrad/optim/progress.hpp"

#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <iomanip>
#include <iostream>
#include <sstream>

namespace tg::optim {

namespace {

bool stdout_is_terminal() {
  const char* term = std::getenv("TERM");
  return isatty(STDOUT_FILENO) == 1 && !(term && std::strcmp(term, "dumb") == 0);
}

std::string duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const auto s = static_cast<long>(std::lround(seconds));
  std::ostringstream out;
  if (s >= 3600) out << s / 3600 << ":" << std::setw(2) << std::setfill('0') << (s % 3600) / 60 << ":";
  else out << s / 60 << ":";
  out << std::setw(2) << std::setfill('0') << s % 60;
  return out.str();
}

std::string metric_value(double v) {
  std::ostringstream out;
  const double a = std::abs(v);
  if (v != 0 && (a < 1e-3 || a >= 1e5)) out << std::scientific << std::setprecision(3) << v;
  else out << std::fixed << std::setprecision(4) << v;
  return out.str();
}

}  // namespace

ProgressBar::ProgressBar(std::string label, std::int64_t total_batches, const ProgressOptions& options)
    : label_(std::move(label)),
      total_(total_batches),
      out_(options.out ? options.out : &std::cout),
      interactive_(options.interactive.value_or(options.out == nullptr && stdout_is_terminal())),
      bar_width_(options.bar_width),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_ - std::chrono::seconds(1)) {}

double ProgressBar::elapsed() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

std::string ProgressBar::line(std::int64_t done, const Metrics& metrics, bool final) const {
  std::ostringstream out;
  out << label_ << " ";
  if (interactive_) {
    const double fraction = total_ > 0 ? std::min(1.0, static_cast<double>(done) / static_cast<double>(total_)) : 1.0;
    const int filled = static_cast<int>(fraction * bar_width_);
    out << "[" << std::string(static_cast<std::size_t>(filled), '=')
        << (filled < bar_width_ ? ">" : "")
        << std::string(static_cast<std::size_t>(std::max(0, bar_width_ - filled - 1)), ' ') << "] ";
  }
  out << done << "/" << total_;
  for (const auto& [name, value] : metrics) out << "  " << name << " " << metric_value(value);
  const double seconds = elapsed();
  const double rate = seconds > 0 ? static_cast<double>(samples_) / seconds : 0;
  out << "  " << static_cast<long long>(std::llround(rate)) << " samples/s";
  if (final) {
    out << "  " << duration(seconds);
  } else if (done > 0 && total_ > done) {
    out << "  ETA " << duration(seconds / static_cast<double>(done) * static_cast<double>(total_ - done));
  }
  return out.str();
}

void ProgressBar::update(std::int64_t done, std::int64_t samples, const Metrics& running) {
  done_ = done;
  samples_ = samples;
  if (!interactive_) return;
  const auto now = std::chrono::steady_clock::now();
  if (done < total_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  const std::string text = line(done, running, false);
  // Pads over the tail of a longer previous line.
  *out_ << "\r" << text << std::string(last_length_ > text.size() ? last_length_ - text.size() : 0, ' ') << std::flush;
  last_length_ = text.size();
}

void ProgressBar::finish(const Metrics& metrics) {
  const std::string text = line(done_, metrics, true);
  if (interactive_) {
    *out_ << "\r" << text << std::string(last_length_ > text.size() ? last_length_ - text.size() : 0, ' ') << "\n";
  } else {
    *out_ << text << "\n";
  }
  out_->flush();
  last_length_ = 0;
}

}  // namespace tg::optim
