#include "node.hpp"

#include <algorithm>

namespace tg {
namespace detail {

TapeCounters& tape_counters() {
  static thread_local TapeCounters counters;
  return counters;
}

namespace {

// Read by attach() on every record: the initial-exec model makes the test one
// load off the thread pointer, with no call (see Note [Anomaly detection]).
[[gnu::tls_model("initial-exec")]] thread_local bool anomaly_enabled = false;

}  // namespace

bool& anomaly_flag() { return anomaly_enabled; }

namespace {

std::vector<Tensor>*& saved_collector() {
  static thread_local std::vector<Tensor>* out = nullptr;
  return out;
}

// See Note [Iterative release] in node.hpp.
struct ReleaseQueue {
  std::vector<std::shared_ptr<Node>> nodes;
  bool draining = false;
};

ReleaseQueue& release_queue() {
  static thread_local ReleaseQueue queue;
  return queue;
}

}  // namespace

void release_node(std::shared_ptr<Node>&& node) {
  if (!node) return;
  if (node.use_count() > 1) {
    node.reset();
    return;
  }
  ReleaseQueue& queue = release_queue();
  queue.nodes.push_back(std::move(node));
  if (queue.draining) return;
  queue.draining = true;
  while (!queue.nodes.empty()) {
    std::shared_ptr<Node> last = std::move(queue.nodes.back());
    queue.nodes.pop_back();
    last.reset();  // its destructor may queue more nodes; the loop takes them
  }
  queue.draining = false;
}

void EdgeList::clear() {
  for (std::size_t i = 0; i < n_; ++i) {
    Edge& e = (*this)[i];
    release_node(std::move(e.node));
    e.leaf.reset();
  }
  large_.clear();
  n_ = 0;
}

Node::Node(const char* name, const Site& site, const Shape& out_shape, Dtype out_dtype)
    : name(name), site(site), out_shape(out_shape), out_dtype(out_dtype) {
  TapeCounters& counters = tape_counters();
  ++counters.live;
  ++counters.created;
}

Node::~Node() {
  if (!released) --tape_counters().live;
  edges.clear();
}

void Node::release() {
  if (released) return;
  released = true;
  --tape_counters().live;
  release_saved();
  edges.clear();
}

bool Node::hold() {
  std::uint32_t holds = holds_.load(std::memory_order_acquire);
  do {
    if (holds & kReleaseAsked) return false;
  } while (!holds_.compare_exchange_weak(holds, holds + 1, std::memory_order_acq_rel));
  return true;
}

void Node::let_go(bool release_it) {
  if (release_it) holds_.fetch_or(kReleaseAsked, std::memory_order_acq_rel);
  // The last holder with the release asked for releases; no pass can hold the
  // record again once the bit is set, so exactly one thread gets here.
  if (holds_.fetch_sub(1, std::memory_order_acq_rel) == (kReleaseAsked | 1)) release();
}

std::mutex& leaf_lock(const TensorImpl* leaf) {
  static std::array<std::mutex, 64> locks;
  const auto h = static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(leaf)) * 0x9E3779B97F4A7C15ull;
  return locks[static_cast<std::size_t>(h >> 58)];
}

VjpContext::VjpContext(const std::shared_ptr<Node>& self, bool create_graph, InPlace in_place,
                       Tensor* const* pending)
    : self_(self), create_graph_(create_graph), in_place_(create_graph ? InPlace{} : in_place),
      pending_(pending), grads_(self->edges.size()) {
  if (!pending_) in_place_.records = false;
}

void VjpContext::unlock_leaves() {
  for (std::mutex* m : locked_) m->unlock();
  locked_.clear();
  kept_leaves_.clear();
}

Tensor* VjpContext::accumulated(std::size_t i) {
  const Edge& edge = self_->edges[i];
  if (edge.node && in_place_.records) {
    Tensor& sum = *pending_[i];
    const bool alone = sum.defined() && sum.impl_ptr().use_count() == 1 &&
                       sum.impl()->storage->use_count() == 1 && !sum.impl()->grad_fn && sum.impl()->contiguous;
    return alone ? &sum : nullptr;
  }
  if (!edge.node && in_place_.leaves) {
    const std::shared_ptr<TensorImpl> leaf = edge.leaf.lock();
    if (!leaf || (leaf->hooks && !leaf->hooks->empty())) return nullptr;  // hooks see the whole sum first
    // The leaf's .grad stays locked until the VJP has returned. With a lock
    // already held, only a try: a thread never waits while it holds a lock,
    // so two VJPs locking two leaves in opposite orders cannot deadlock.
    std::mutex& lock = leaf_lock(leaf.get());
    if (std::find(locked_.begin(), locked_.end(), &lock) == locked_.end()) {
      if (locked_.empty()) {
        lock.lock();
      } else if (!lock.try_lock()) {
        return nullptr;
      }
      locked_.push_back(&lock);
    }
    kept_leaves_.push_back(leaf);  // alive until the VJP has written into its .grad
    Tensor& sum = leaf->grad;
    return sum.defined() && !sum.impl()->grad_fn && sum.impl()->contiguous ? &sum : nullptr;
  }
  return nullptr;
}

bool VjpContext::needs(std::size_t i) const { return self_->edges[i].active(); }

void VjpContext::set(std::size_t i, Tensor grad) { grads_[i] = std::move(grad); }

Saved::Saved(const Tensor& t) : tensor_(t) {
  if (!t.defined()) return;
  TensorImpl* impl = t.impl();
  storage_ = impl->storage;
  version_ = storage_->version();
  if (!impl->grad_fn && impl->requires_grad) {  // see Note [Leaves held weakly]
    leaf_ = t.impl_ptr();
    tensor_ = alias(t, impl->shape);
  } else if (impl->view_base) {
    // The view's history without its handle on the base, which would hold a
    // leaf base strongly from inside its own records (Note [Leaves held
    // weakly]); a later in-place change is caught by the version instead.
    tensor_ = alias(t);
    tensor_.impl()->grad_fn = impl->grad_fn;
    tensor_.impl()->requires_grad = impl->requires_grad;
  }
}

Saved::Saved(const Saved& other)
    : tensor_(other.tensor_), leaf_(other.leaf_), storage_(other.storage_), version_(other.version_) {
  if (std::vector<Tensor>* out = saved_collector(); out && tensor_.defined()) out->push_back(tensor_);
}

SavedCollector::SavedCollector(std::vector<Tensor>& out) : previous_(saved_collector()) {
  saved_collector() = &out;
}

SavedCollector::~SavedCollector() { saved_collector() = previous_; }

Tensor Saved::get() const {
  if (!tensor_.defined()) return tensor_;
  Tensor t = leaf_.expired() ? tensor_ : Tensor(leaf_.lock());
  if (!t.defined()) t = tensor_;  // the leaf went away between the two calls
  if (t.impl()->storage.get() != storage_.get()) {
    throw std::runtime_error("a tensor it saved, of shape " + tensor_.shape().str() +
                             ", was given new values by set_data() after the op used it (its shape "
                             "is now " + t.impl()->shape.str() + "); run the forward pass "
                             "again after set_data");
  }
  if (storage_->version() != version_) {
    throw std::runtime_error("a tensor it saved, of shape " + tensor_.shape().str() +
                             ", was modified in place after the op used it (storage version " +
                             std::to_string(version_) + ", now " +
                             std::to_string(storage_->version()) +
                             "); run the forward pass again after the change");
  }
  return t;
}

Tensor VjpContext::output(const Saved& saved_output) const {
  Tensor saved = saved_output.get();
  if (!create_graph_) return saved;
  Tensor attached = alias(saved, saved.shape());
  attached.impl()->grad_fn = self_;
  attached.impl()->requires_grad = true;
  return attached;
}

bool should_record_list(const std::vector<Tensor>& inputs) {
  if (!is_grad_enabled()) return false;
  for (const Tensor& t : inputs)
    if (needs_grad(t)) return true;
  return false;
}

Edge make_edge(const Tensor& input) {
  Edge edge;
  if (!input.defined()) return edge;
  TensorImpl* impl = input.impl();
  refresh_view(*impl);
  if (impl->grad_fn) {
    edge.node = impl->grad_fn;
  } else if (impl->requires_grad) {
    edge.leaf = input.impl_ptr();  // weakly: see Note [Leaves held weakly]
    edge.leaf_data_changes = impl->data_changes;
  }
  return edge;
}

Saved saved(const Tensor& t) { return Saved(alias(t, t.shape())); }

void attach(Tensor& out, std::shared_ptr<Node> node) {
  TensorImpl* impl = out.impl();
  impl->grad_fn = std::move(node);
  impl->requires_grad = true;
  // Last, on values already in registers: off, this costs three instructions.
  if (anomaly_enabled) [[unlikely]] check_forward_anomaly(*impl->grad_fn, *impl);
}

}  // namespace detail

TensorImpl::~TensorImpl() { detail::release_node(std::move(grad_fn)); }

// --- grad mode ------------------------------------------------------------------

namespace {
bool& grad_enabled_flag() {
  static thread_local bool enabled = true;
  return enabled;
}
}  // namespace

bool is_grad_enabled() { return grad_enabled_flag(); }
void set_grad_enabled(bool enabled) { grad_enabled_flag() = enabled; }

NoGrad::NoGrad() : previous_(grad_enabled_flag()) { grad_enabled_flag() = false; }
NoGrad::~NoGrad() { grad_enabled_flag() = previous_; }
EnableGrad::EnableGrad() : previous_(grad_enabled_flag()) { grad_enabled_flag() = true; }
EnableGrad::~EnableGrad() { grad_enabled_flag() = previous_; }

TapeStats tape_stats() {
  const detail::TapeCounters& counters = detail::tape_counters();
  return {counters.live, counters.created};
}

}  // namespace tg
