// Optimizer: the base of SGD, RMSprop, Adam, AdamW and Adagrad. It holds the
// parameter groups, their learning rates, the step count and each
// parameter's state (momentum buffers, moment estimates), and names that
// state for checkpoints.
//
// Parameter groups. Every optimizer takes either one list of parameters,
// trained with the options passed beside it,
//
//     optim::Adam opt(model.parameters(), {.lr = 1e-3});
//
// or a list of groups. A group is its parameters plus optional overrides of
// any option (each a std::optional named like the option); an option a group
// leaves out comes from the options passed beside the list:
//
//     optim::SGD sgd({{.params = body.parameters(), .lr = 0.1},
//                     {.params = head.parameters()}},          // lr 0.01, momentum 0.9
//                    {.lr = 0.01, .momentum = 0.9});
//
// Designated initialisers follow the declaration order, which is PyTorch's
// argument order (see each optimizer's Options). Groups are numbered in the
// order given; a parameter belongs to one group, once.
//
// Updates run outside the tape: plain loops over the float32 or float64
// values through mutable_data, under NoGrad. A parameter's state is created
// on its first step (the first step() at which it has a gradient) and reused
// afterwards, so a step allocates nothing once every parameter has stepped.
// A parameter without a gradient (unused by the loss, or dropped by
// zero_grad()) is skipped, its state untouched, as in PyTorch.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "../autodiff/dispatch.hpp"
#include "../autodiff/tensor.hpp"
#include "../nn/stateful.hpp"

namespace tg::optim {

/// The base of every optimizer. Copying is disabled (a copy would share the
/// parameters and the state silently); moving is allowed, but a schedule bound
/// to an optimizer keeps its address. A Stateful, so nn::save and nn::load
/// take it as SaveOptions::optimizer.
class Optimizer : public nn::Stateful {
 public:
  ~Optimizer() override;
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;
  Optimizer(Optimizer&&) = default;
  Optimizer& operator=(Optimizer&&) = default;

  /// One update of every parameter that has a gradient, by the optimizer's
  /// rule; then step_count() grows by one.
  virtual void step() = 0;
  /// Drops every parameter's gradient (PyTorch's zero_grad(set_to_none=True)):
  /// the next backward() writes fresh ones.
  void zero_grad();

  /// "SGD", "Adam", ...: the name error messages start with.
  const std::string& name() const override { return name_; }
  std::size_t group_count() const { return groups_.size(); }
  /// The current learning rate of a group.
  double lr(std::size_t group = 0) const;
  /// Sets the learning rate of every group (finite, >= 0).
  void set_lr(double lr);
  /// Sets the learning rate of one group (finite, >= 0).
  void set_lr(std::size_t group, double lr);
  /// The parameters of a group, in the order given.
  const std::vector<Tensor>& params(std::size_t group) const;
  /// The number of step() calls so far (or as loaded by load_state).
  std::int64_t step_count() const;

  /// Everything a checkpoint needs to resume this optimizer exactly, by
  /// stable names:
  ///   "step"                     0-d int64, step_count();
  ///   "group<g>.lr"              0-d float64, the group's learning rate;
  ///   "group<g>.param<i>.<kind>" the state of parameter i of group g, for a
  ///                              parameter that has stepped: "step" (0-d
  ///                              int64, its own count) or a buffer of the
  ///                              parameter's shape and dtype ("exp_avg",
  ///                              "momentum_buffer", ...: PyTorch's names).
  /// The tensors are the optimizer's own (shared handles): writing into them
  /// changes the optimizer, and later steps change them. Copy them to keep a
  /// snapshot.
  std::vector<std::pair<std::string, Tensor>> state() const override;
  /// Restores a state() of an optimizer of the same kind built over
  /// parameters of the same shapes: the step count, every group's learning
  /// rate and the state of each parameter listed (values are copied in,
  /// converting the dtype). A parameter the list does not mention starts
  /// afresh, as if it had never stepped. Checks everything before changing
  /// anything: an unknown or duplicate name, a group or parameter out of
  /// range, a wrong shape, a parameter with part of its state, a missing
  /// "step" or learning rate throw InvalidArgument naming the entry.
  void load_state(const std::vector<std::pair<std::string, Tensor>>& state) override;

 protected:
  explicit Optimizer(std::string name);

  /// Adds a group: checks its parameters (defined float32/float64 leaves that
  /// require grad, not in another group, not twice) and its learning rate.
  /// `state_kinds` names the state each of its parameters keeps: "step" is a
  /// 0-d int64 count, any other name a buffer like the parameter.
  void add_group(std::vector<Tensor> params, double lr, std::vector<std::string> state_kinds);
  /// Throws InvalidArgument when no group has a parameter.
  void check_not_empty() const;

  /// One parameter about to be updated.
  struct Update {
    Tensor param;
    Tensor grad;
    /// The parameter's state, in the order of its group's state_kinds.
    std::span<Tensor> state;
    /// The state was just created (or reset by load_state): zeros, and this
    /// is the parameter's first step.
    bool fresh = false;
  };
  /// Checks every parameter with a gradient before anything changes: the
  /// gradient's and the state's shapes and dtypes match the parameter's, and
  /// the gradient does not share the parameter's memory. Call it first in
  /// step().
  void check_step() const;
  /// The update of parameter `index` of `group`, its state created on first
  /// use; false when the parameter has no gradient (skip it).
  bool prepare(std::size_t group, std::size_t index, Update& update);
  /// Counts one step; call it at the end of step().
  void count_step();
  /// The " (group g)" to append to an option error when groups were given
  /// explicitly, "" otherwise.
  std::string group_label(std::size_t group, bool explicit_groups) const;
  /// Throws InvalidArgument "<name>: <option> must be <requirement>, got
  /// <value><where>" unless `ok`.
  void check_option(bool ok, const char* option, const char* requirement, double value,
                    const std::string& where) const;
  /// A number as messages print it ("0.9", "1e-08").
  static std::string format(double value);

 private:
  struct ParamState {
    std::vector<Tensor> slots;  // by kind; empty until the first step
    bool live = false;          // holds the state of a step taken
  };
  struct Group {
    std::vector<Tensor> params;
    Tensor lr;  // 0-d float64
    std::vector<std::string> kinds;
    std::vector<ParamState> states;
  };
  const Group& group_at(std::size_t group, const char* what) const;
  std::string param_label(std::size_t group, std::size_t index) const;
  // Gives parameter `index` of `group` its state buffers (zeroed when `zero`).
  void make_state(std::size_t group, std::size_t index, bool zero);

  std::string name_;
  std::vector<Group> groups_;
  Tensor step_count_;  // 0-d int64
};

}  // namespace tg::optim
