// to_dot and tape_report: walks of the records behind a tensor, with an
// explicit queue (no recursion, see STYLE.md habit 6).
#include "tapegrad/autodiff/graph.hpp"

#include <algorithm>
#include <cstdio>
#include <map>
#include <sstream>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "node.hpp"

namespace tg {
namespace {

// The records reachable from `output`, the output's own first, each once,
// in breadth-first order.
std::vector<const detail::Node*> reachable_records(const Tensor& output) {
  std::vector<const detail::Node*> order;
  const detail::Node* root = output.impl()->grad_fn.get();
  if (!root) return order;
  std::unordered_set<const detail::Node*> seen{root};
  order.push_back(root);
  for (std::size_t next = 0; next < order.size(); ++next) {
    const detail::Node* node = order[next];
    for (std::size_t i = 0; i < node->edges.size(); ++i) {
      const detail::Node* input = node->edges[i].node.get();
      if (input && seen.insert(input).second) order.push_back(input);
    }
  }
  return order;
}

void check_output(const Tensor& output, const char* fn) {
  if (!output.defined()) throw InvalidArgument(std::string(fn) + ": got an undefined tensor");
}

std::string_view basename(std::string_view path) {
  const std::size_t slash = path.find_last_of("/\\");
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

// A DOT string literal's contents; "\n" stays a DOT line break.
std::string escaped(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

std::string leaf_label(const TensorImpl& leaf) {
  return "leaf\\n" + leaf.shape.str() + " " + dtype_name(leaf.dtype) +
         (leaf.requires_grad ? "\\nrequires grad" : "\\nno grad");
}

std::string record_label(const detail::Node& node) {
  std::string label = escaped(node.name) + "\\n" + node.out_shape.str() + " " + dtype_name(node.out_dtype);
  if (node.site.line() != 0) {
    label += "\\n" + escaped(std::string(basename(node.site.file_name()))) + ":" + std::to_string(node.site.line());
  }
  if (node.released) label += "\\n(released)";
  return label;
}

std::string bytes_str(std::int64_t bytes) {
  if (bytes < 1024) return std::to_string(bytes) + " B";
  const char* units[] = {"KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  int u = -1;
  while (v >= 1024 && u < 3) {
    v /= 1024;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f %s", v, units[u]);
  return buf;
}

}  // namespace

std::string to_dot(const Tensor& output) {
  check_output(output, "to_dot");
  std::ostringstream out;
  out << "digraph tape {\n"
      << "  node [fontname=\"monospace\", fontsize=10];\n";
  if (!output.impl()->grad_fn) {
    out << "  leaf0 [shape=ellipse, peripheries=2, label=\"" << leaf_label(*output.impl()) << "\"];\n}\n";
    return out.str();
  }
  const std::vector<const detail::Node*> records = reachable_records(output);
  std::unordered_map<const detail::Node*, std::size_t> record_id;
  for (std::size_t i = 0; i < records.size(); ++i) record_id.emplace(records[i], i);
  std::unordered_map<const TensorImpl*, std::size_t> leaf_id;
  std::size_t constants = 0;

  for (std::size_t r = 0; r < records.size(); ++r) {
    out << "  op" << r << " [shape=box" << (r == 0 ? ", peripheries=2" : "") << ", label=\""
        << record_label(*records[r]) << "\"];\n";
  }
  for (std::size_t r = 0; r < records.size(); ++r) {
    const detail::Node& node = *records[r];
    const std::size_t inputs = node.edges.size();
    for (std::size_t i = 0; i < inputs; ++i) {
      const detail::Edge& edge = node.edges[i];
      std::string from;
      if (edge.node) {
        from = "op" + std::to_string(record_id.at(edge.node.get()));
      } else if (const std::shared_ptr<TensorImpl> leaf = edge.leaf.lock()) {
        auto [it, added] = leaf_id.emplace(leaf.get(), leaf_id.size());
        from = "leaf" + std::to_string(it->second);
        if (added) out << "  " << from << " [shape=ellipse, label=\"" << leaf_label(*leaf) << "\"];\n";
      } else {
        from = "const" + std::to_string(constants++);
        out << "  " << from << " [shape=ellipse, style=dashed, label=\"no grad\"];\n";
      }
      out << "  " << from << " -> op" << r;
      if (inputs > 1) out << " [label=\"" << i << "\"]";
      out << ";\n";
    }
  }
  out << "}\n";
  return out.str();
}

std::int64_t TapeReport::count(const std::string& op) const {
  for (const OpRecords& entry : ops)
    if (entry.op == op) return entry.records;
  return 0;
}

std::string TapeReport::str() const {
  std::ostringstream out;
  out << "Tape: " << records << " records (" << released << " released), " << leaves << " leaves, " << saved_tensors
      << " saved tensors in " << saved_storages << " storages, " << bytes_str(saved_bytes) << " kept for backward\n";
  std::size_t width = 2;
  for (const OpRecords& entry : ops) width = std::max(width, entry.op.size());
  char line[256];
  std::snprintf(line, sizeof line, "%-*s %10s %12s\n", static_cast<int>(width), "op", "records", "saved");
  out << line;
  for (const OpRecords& entry : ops) {
    std::snprintf(line, sizeof line, "%-*s %10lld %12s\n", static_cast<int>(width), entry.op.c_str(),
                  static_cast<long long>(entry.records), bytes_str(entry.saved_bytes).c_str());
    out << line;
  }
  return out.str();
}

TapeReport tape_report(const Tensor& output) {
  check_output(output, "tape_report");
  TapeReport report;
  std::map<std::string, OpRecords> by_op;
  std::unordered_set<const TensorImpl*> leaves;
  std::unordered_set<const detail::Storage*> storages;
  std::vector<Tensor> saved;
  if (!output.impl()->grad_fn && output.requires_grad()) leaves.insert(output.impl());
  for (const detail::Node* node : reachable_records(output)) {
    ++report.records;
    OpRecords& entry = by_op[node->name];
    entry.op = node->name;
    ++entry.records;
    if (node->released) {
      ++report.released;
      continue;
    }
    for (std::size_t i = 0; i < node->edges.size(); ++i)
      if (const std::shared_ptr<TensorImpl> leaf = node->edges[i].leaf.lock()) leaves.insert(leaf.get());
    saved.clear();
    node->collect_saved(saved);
    for (const Tensor& t : saved) {
      ++report.saved_tensors;
      const detail::Storage* storage = t.impl()->storage.get();
      if (!storages.insert(storage).second) continue;
      const auto bytes = static_cast<std::int64_t>(storage->nbytes());
      report.saved_bytes += bytes;
      entry.saved_bytes += bytes;
    }
  }
  report.leaves = static_cast<std::int64_t>(leaves.size());
  report.saved_storages = static_cast<std::int64_t>(storages.size());
  for (auto& [name, entry] : by_op) report.ops.push_back(std::move(entry));
  std::stable_sort(report.ops.begin(), report.ops.end(),
                   [](const OpRecords& a, const OpRecords& b) { return a.records > b.records; });
  return report;
}

}  // namespace tg
