// Note [Restricted unpickler]: a pickle is a program for a stack machine;
// Python's unpickler imports and calls whatever its GLOBAL and REDUCE
// opcodes name. This one is a machine of its own over a closed set of
// values (None, bool, int, float, str, tuple, list, dict, and four kinds of
// torch objects), with the callables of the allow-list as the only things
// REDUCE may apply, each implemented here (no import, no call). Containers
// live in an arena and are referred to by index, so a pickle that makes a
// dict contain itself costs nothing and cannot leak; every count, length
// and index is checked against the bytes that are really there.
#include "unpickler.hpp"

#include <cstdio>
#include <cstring>
#include <memory>
#include <limits>
#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "tapegrad/autodiff/shape.hpp"
#include "tapegrad/nn/checkpoint.hpp"

namespace tg::nn::pytorch {

int element_size(StorageType type) {
  switch (type) {
    case StorageType::f32: return 4;
    case StorageType::f64: return 8;
    case StorageType::i64: return 8;
    case StorageType::f16: return 2;
    case StorageType::bf16: return 2;
  }
  return 1;
}

const char* storage_class_name(StorageType type) {
  switch (type) {
    case StorageType::f32: return "torch.FloatStorage";
    case StorageType::f64: return "torch.DoubleStorage";
    case StorageType::i64: return "torch.LongStorage";
    case StorageType::f16: return "torch.HalfStorage";
    case StorageType::bf16: return "torch.BFloat16Storage";
  }
  return "?";
}

namespace {

enum class Kind { none, boolean, integer, floating, string, object };
enum class ObjectKind { tuple, list, dict, global, storage, tensor };
enum class Global { ordered_dict, rebuild_tensor, rebuild_parameter, storage_type };

struct Value {
  Kind kind = Kind::none;
  std::int64_t integer = 0;  // bool, int; the arena index of an object
  double floating = 0;
  // Shared: BINGET and DUP copy a value, and a small pickle must not be able
  // to copy a long string a million times.
  std::shared_ptr<const std::string> string;
};

struct Object {
  ObjectKind kind = ObjectKind::tuple;
  std::vector<Value> items;                    // tuple, list
  std::vector<std::pair<Value, Value>> pairs;  // dict
  Global global = Global::ordered_dict;        // global
  StorageType type = StorageType::f32;         // global (storage type), storage, tensor
  TensorRecord record;                         // storage (key, numel), tensor
};

const char* kAllowed =
    "collections.OrderedDict, torch._utils._rebuild_tensor_v2, torch._utils._rebuild_parameter and the storage types "
    "torch.FloatStorage, DoubleStorage, LongStorage, HalfStorage, BFloat16Storage";

class Unpickler {
 public:
  Unpickler(std::string_view bytes, const std::string& source) : bytes_(bytes), where_("pytorch file '" + source + "': data.pkl: ") {}

  std::vector<TensorRecord> run() {
    for (;;) {
      op_at_ = at_;
      const std::uint8_t op = byte();
      if (op == '.') break;  // STOP
      step(op);
    }
    if (stack_.size() != 1 || !marks_.empty()) fail("the pickle ends with " + std::to_string(stack_.size()) + " values on its stack, not 1");
    const Value result = stack_.back();
    if (!is_object(result, ObjectKind::dict)) fail("the pickled object is a " + describe(result) + ", not a dict (a state dict)");
    return flatten(result);
  }

 private:
  [[noreturn]] void fail(const std::string& problem) const {
    throw CheckpointError(where_ + problem + " (at byte " + std::to_string(op_at_) + ")");
  }

  // --- reading bytes ---
  std::uint8_t byte() {
    if (at_ >= bytes_.size()) fail("truncated: the pickle ends without its STOP opcode");
    return static_cast<std::uint8_t>(bytes_[at_++]);
  }
  std::string_view take(std::uint64_t n) {
    if (n > bytes_.size() - at_) fail("truncated: " + std::to_string(n) + " bytes announced, " + std::to_string(bytes_.size() - at_) + " left");
    const std::string_view out = bytes_.substr(at_, n);
    at_ += n;
    return out;
  }
  std::uint64_t little(int n) {
    const std::string_view b = take(static_cast<std::uint64_t>(n));
    std::uint64_t v = 0;
    for (int i = n - 1; i >= 0; --i) v = (v << 8) | static_cast<std::uint8_t>(b[i]);
    return v;
  }
  std::string_view line() {
    const std::size_t end = bytes_.find('\n', at_);
    if (end == std::string_view::npos) fail("truncated: a GLOBAL's name has no end of line");
    const std::string_view out = bytes_.substr(at_, end - at_);
    at_ = end + 1;
    return out;
  }

  // --- the stack ---
  void push(Value v) { stack_.push_back(std::move(v)); }
  Value pop() {
    if (stack_.size() <= (marks_.empty() ? 0 : marks_.back())) fail("an opcode takes a value from an empty stack");
    Value v = std::move(stack_.back());
    stack_.pop_back();
    return v;
  }
  Value& top() {
    if (stack_.size() <= (marks_.empty() ? 0 : marks_.back())) fail("an opcode needs a value on an empty stack");
    return stack_.back();
  }
  std::vector<Value> pop_to_mark() {
    if (marks_.empty()) fail("an opcode needs a MARK, and there is none");
    std::vector<Value> items(std::make_move_iterator(stack_.begin() + static_cast<std::ptrdiff_t>(marks_.back())),
                             std::make_move_iterator(stack_.end()));
    stack_.resize(marks_.back());
    marks_.pop_back();
    return items;
  }
  Value make(Object object) {
    objects_.push_back(std::move(object));
    Value v;
    v.kind = Kind::object;
    v.integer = static_cast<std::int64_t>(objects_.size() - 1);
    return v;
  }
  Object& object(const Value& v) { return objects_[static_cast<std::size_t>(v.integer)]; }
  bool is_object(const Value& v, ObjectKind kind) const {
    return v.kind == Kind::object && objects_[static_cast<std::size_t>(v.integer)].kind == kind;
  }
  Value tuple(std::vector<Value> items) {
    Object o;
    o.kind = ObjectKind::tuple;
    o.items = std::move(items);
    return make(std::move(o));
  }
  Value integer(std::int64_t i) {
    Value v;
    v.kind = Kind::integer;
    v.integer = i;
    return v;
  }
  Value string(std::string_view s) {
    Value v;
    v.kind = Kind::string;
    v.string = std::make_shared<const std::string>(s);
    return v;
  }

  std::string describe(const Value& v) const {
    switch (v.kind) {
      case Kind::none: return "None";
      case Kind::boolean: return "bool";
      case Kind::integer: return "int";
      case Kind::floating: return "float";
      case Kind::string: return "str";
      case Kind::object: break;
    }
    switch (objects_[static_cast<std::size_t>(v.integer)].kind) {
      case ObjectKind::tuple: return "tuple";
      case ObjectKind::list: return "list";
      case ObjectKind::dict: return "dict";
      case ObjectKind::global: return "class or function";
      case ObjectKind::storage: return "storage";
      case ObjectKind::tensor: return "tensor";
    }
    return "?";
  }

  // --- the allow-list ---
  Value global(std::string_view module, std::string_view name) {
    Object o;
    o.kind = ObjectKind::global;
    const std::pair<std::string_view, StorageType> storages[] = {
        {"FloatStorage", StorageType::f32}, {"DoubleStorage", StorageType::f64}, {"LongStorage", StorageType::i64},
        {"HalfStorage", StorageType::f16},  {"BFloat16Storage", StorageType::bf16}};
    if (module == "collections" && name == "OrderedDict") {
      o.global = Global::ordered_dict;
    } else if (module == "torch._utils" && name == "_rebuild_tensor_v2") {
      o.global = Global::rebuild_tensor;
    } else if (module == "torch._utils" && name == "_rebuild_parameter") {
      o.global = Global::rebuild_parameter;
    } else {
      bool found = false;
      for (const auto& [storage, type] : storages) {
        if (module == "torch" && name == storage) {
          o.global = Global::storage_type;
          o.type = type;
          found = true;
        }
      }
      if (!found) {
        fail("refers to " + std::string(module) + "." + std::string(name) +
             ", which loading does not allow (loading never runs code from a file; allowed are " + kAllowed + ")");
      }
    }
    return make(std::move(o));
  }

  std::int64_t int_arg(const Value& v, const char* what) {
    if (v.kind != Kind::integer) fail(std::string(what) + " must be an int, got " + describe(v));
    return v.integer;
  }
  std::vector<std::int64_t> ints_arg(const Value& v, const char* what) {
    if (!is_object(v, ObjectKind::tuple)) fail(std::string(what) + " must be a tuple of ints, got " + describe(v));
    std::vector<std::int64_t> out;
    for (const Value& item : object(v).items) out.push_back(int_arg(item, what));
    return out;
  }

  // _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
  Value rebuild_tensor(const std::vector<Value>& args) {
    if (args.size() != 6 && args.size() != 7) fail("_rebuild_tensor_v2 takes 6 or 7 arguments, got " + std::to_string(args.size()));
    if (!is_object(args[0], ObjectKind::storage)) fail("_rebuild_tensor_v2's first argument must be a storage, got " + describe(args[0]));
    Object tensor;
    tensor.kind = ObjectKind::tensor;
    tensor.record = object(args[0]).record;
    tensor.record.offset = int_arg(args[1], "a tensor's storage offset");
    tensor.record.sizes = ints_arg(args[2], "a tensor's size");
    tensor.record.strides = ints_arg(args[3], "a tensor's stride");
    check_extent(tensor.record);
    return make(std::move(tensor));
  }

  // Every element of the view inside the storage, nothing overflowing.
  void check_extent(const TensorRecord& r) {
    if (r.sizes.size() != r.strides.size()) {
      fail("a tensor has " + std::to_string(r.sizes.size()) + " sizes but " + std::to_string(r.strides.size()) + " strides");
    }
    if (r.sizes.size() > static_cast<std::size_t>(kMaxRank)) {
      fail("a tensor has " + std::to_string(r.sizes.size()) + " axes, more than the " + std::to_string(kMaxRank) + " tapegrad supports");
    }
    if (r.offset < 0) fail("a tensor has the negative storage offset " + std::to_string(r.offset));
    constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
    std::int64_t last = r.offset;
    bool empty = false;
    for (std::size_t i = 0; i < r.sizes.size(); ++i) {
      if (r.sizes[i] < 0 || r.strides[i] < 0) fail("a tensor has a negative size or stride");
      if (r.sizes[i] == 0) empty = true;
    }
    if (empty) return;
    for (std::size_t i = 0; i < r.sizes.size(); ++i) {
      const std::int64_t reach = r.sizes[i] - 1;
      if (r.strides[i] != 0 && reach > (kMax - last) / r.strides[i]) fail("a tensor's extent overflows");
      last += reach * r.strides[i];
    }
    if (last >= r.storage_numel) {
      fail("a tensor reaches element " + std::to_string(last) + " of storage '" + r.storage_key + "', which has " +
           std::to_string(r.storage_numel));
    }
  }

  // ('storage', storage type, key, location, numel)
  Value persistent_load(const Value& pid) {
    if (!is_object(pid, ObjectKind::tuple)) fail("a persistent id must be a tuple, got " + describe(pid));
    const std::vector<Value>& p = object(pid).items;
    if (p.size() != 5 || p[0].kind != Kind::string || *p[0].string != "storage") {
      fail("a persistent id must be ('storage', type, key, location, numel)");
    }
    if (!is_object(p[1], ObjectKind::global) || object(p[1]).global != Global::storage_type) {
      fail("a persistent id's storage type must be one of torch's storage classes, got " + describe(p[1]));
    }
    if (p[2].kind != Kind::string || p[3].kind != Kind::string) fail("a persistent id's key and location must be strings");
    Object storage;
    storage.kind = ObjectKind::storage;
    storage.record.type = object(p[1]).type;
    storage.record.storage_key = *p[2].string;
    storage.record.storage_numel = int_arg(p[4], "a storage's numel");
    if (storage.record.storage_numel < 0) fail("a storage has a negative numel");
    if (storage.record.storage_key.empty() || storage.record.storage_key.find_first_of("/\\") != std::string::npos ||
        storage.record.storage_key.find("..") != std::string::npos) {
      fail("the storage key '" + storage.record.storage_key + "' is not a plain name");
    }
    return make(std::move(storage));
  }

  Value reduce(const Value& callable, const Value& args) {
    if (!is_object(callable, ObjectKind::global)) fail("REDUCE applies a " + describe(callable) + ", which is not callable");
    if (!is_object(args, ObjectKind::tuple)) fail("REDUCE's arguments must be a tuple, got " + describe(args));
    const std::vector<Value> a = object(args).items;
    switch (object(callable).global) {
      case Global::ordered_dict: {
        if (!a.empty()) fail("OrderedDict is only rebuilt empty (its items follow by SETITEMS)");
        Object dict;
        dict.kind = ObjectKind::dict;
        return make(std::move(dict));
      }
      case Global::rebuild_tensor: return rebuild_tensor(a);
      case Global::rebuild_parameter:  // _rebuild_parameter(data, requires_grad, backward_hooks)
        if (a.size() != 3 || !is_object(a[0], ObjectKind::tensor)) fail("_rebuild_parameter takes (tensor, requires_grad, hooks)");
        return a[0];
      case Global::storage_type: break;
    }
    fail("a storage class is only allowed inside a persistent id, not called");
  }

  void set_item(Value& dict, Value key, Value value) {
    if (!is_object(dict, ObjectKind::dict)) fail("SETITEM(S) on a " + describe(dict) + ", not a dict");
    if (key.kind != Kind::string && key.kind != Kind::integer) fail("a dict key must be a str or an int, got " + describe(key));
    object(dict).pairs.emplace_back(std::move(key), std::move(value));
  }

  void step(std::uint8_t op) {
    switch (op) {
      case 0x80: {  // PROTO
        const std::uint8_t protocol = byte();
        if (protocol < 2 || protocol > 5) fail("pickle protocol " + std::to_string(protocol) + " is not read (2 to 5 are)");
        return;
      }
      case 0x95: take(8); return;  // FRAME: a length hint only
      case '(': marks_.push_back(stack_.size()); return;  // MARK
      case 'N': push(Value{}); return;
      case 0x88: case 0x89: {  // NEWTRUE, NEWFALSE
        Value v;
        v.kind = Kind::boolean;
        v.integer = op == 0x88;
        push(v);
        return;
      }
      case 'J': push(integer(static_cast<std::int32_t>(static_cast<std::uint32_t>(little(4))))); return;  // BININT
      case 'K': push(integer(static_cast<std::int64_t>(little(1)))); return;  // BININT1
      case 'M': push(integer(static_cast<std::int64_t>(little(2)))); return;  // BININT2
      case 0x8a: {  // LONG1: n bytes, two's complement, little-endian
        const int n = byte();
        if (n > 8) fail("an integer of " + std::to_string(n) + " bytes is too large");
        std::uint64_t v = n == 0 ? 0 : little(n);
        if (n > 0 && n < 8 && (v >> (8 * n - 1)) & 1) v |= ~std::uint64_t{0} << (8 * n);  // sign-extend
        push(integer(static_cast<std::int64_t>(v)));
        return;
      }
      case 'G': {  // BINFLOAT: big-endian double
        const std::string_view b = take(8);
        std::uint64_t bits = 0;
        for (char c : b) bits = (bits << 8) | static_cast<std::uint8_t>(c);
        Value v;
        v.kind = Kind::floating;
        std::memcpy(&v.floating, &bits, 8);
        push(v);
        return;
      }
      case 'X': push(string(take(little(4)))); return;     // BINUNICODE
      case 0x8c: push(string(take(little(1)))); return;    // SHORT_BINUNICODE
      case 0x8d: push(string(take(little(8)))); return;    // BINUNICODE8
      case 'U': push(string(take(little(1)))); return;     // SHORT_BINSTRING
      case 'T': push(string(take(little(4)))); return;     // BINSTRING
      case ')': push(tuple({})); return;                   // EMPTY_TUPLE
      case 't': push(tuple(pop_to_mark())); return;        // TUPLE
      case 0x85: case 0x86: case 0x87: {                   // TUPLE1, TUPLE2, TUPLE3
        std::vector<Value> items(static_cast<std::size_t>(op - 0x84));
        for (auto it = items.rbegin(); it != items.rend(); ++it) *it = pop();
        push(tuple(std::move(items)));
        return;
      }
      case ']': case 'l': {  // EMPTY_LIST, LIST
        Object list;
        list.kind = ObjectKind::list;
        if (op == 'l') list.items = pop_to_mark();
        push(make(std::move(list)));
        return;
      }
      case '}': case 'd': {  // EMPTY_DICT, DICT
        Object dict;
        dict.kind = ObjectKind::dict;
        Value v = make(std::move(dict));
        if (op == 'd') {
          std::vector<Value> items = pop_to_mark();
          if (items.size() % 2) fail("DICT needs key-value pairs, got an odd number of values");
          for (std::size_t i = 0; i < items.size(); i += 2) set_item(v, std::move(items[i]), std::move(items[i + 1]));
        }
        push(std::move(v));
        return;
      }
      case 'a': {  // APPEND
        Value item = pop();
        Value& list = top();
        if (!is_object(list, ObjectKind::list)) fail("APPEND to a " + describe(list) + ", not a list");
        object(list).items.push_back(std::move(item));
        return;
      }
      case 'e': {  // APPENDS
        std::vector<Value> items = pop_to_mark();
        Value& list = top();
        if (!is_object(list, ObjectKind::list)) fail("APPENDS to a " + describe(list) + ", not a list");
        for (Value& item : items) object(list).items.push_back(std::move(item));
        return;
      }
      case 's': {  // SETITEM
        Value value = pop();
        Value key = pop();
        set_item(top(), std::move(key), std::move(value));
        return;
      }
      case 'u': {  // SETITEMS
        std::vector<Value> items = pop_to_mark();
        if (items.size() % 2) fail("SETITEMS needs key-value pairs, got an odd number of values");
        Value& dict = top();
        for (std::size_t i = 0; i < items.size(); i += 2) set_item(dict, std::move(items[i]), std::move(items[i + 1]));
        return;
      }
      case 'q': memo_[static_cast<std::uint32_t>(little(1))] = top(); return;  // BINPUT
      case 'r': memo_[static_cast<std::uint32_t>(little(4))] = top(); return;  // LONG_BINPUT
      case 0x94: memo_[static_cast<std::uint32_t>(memo_.size())] = top(); return;  // MEMOIZE
      case 'h': case 'j': {  // BINGET, LONG_BINGET
        const auto index = static_cast<std::uint32_t>(little(op == 'h' ? 1 : 4));
        const auto found = memo_.find(index);
        if (found == memo_.end()) fail("the memo has no entry " + std::to_string(index));
        push(found->second);
        return;
      }
      case 'c': {  // GLOBAL "module\nname\n"
        const std::string_view module = line();
        const std::string_view name = line();
        push(global(module, name));
        return;
      }
      case 0x93: {  // STACK_GLOBAL
        const Value name = pop();
        const Value module = pop();
        if (module.kind != Kind::string || name.kind != Kind::string) fail("STACK_GLOBAL needs two strings");
        push(global(*module.string, *name.string));
        return;
      }
      case 'R': {  // REDUCE
        const Value args = pop();
        const Value callable = pop();
        push(reduce(callable, args));
        return;
      }
      case 'b': {  // BUILD: only an OrderedDict's attributes (a state dict's _metadata), which are dropped
        const Value state = pop();
        if (!is_object(top(), ObjectKind::dict)) fail("BUILD sets the state of a " + describe(top()) + "; only a dict's is accepted");
        if (state.kind != Kind::none && !is_object(state, ObjectKind::dict)) fail("BUILD's state must be a dict, got " + describe(state));
        return;
      }
      case 'Q': push(persistent_load(pop())); return;  // BINPERSID
      case '0': pop(); return;                          // POP
      case '1': pop_to_mark(); return;                  // POP_MARK
      case '2': push(top()); return;                    // DUP
      default: break;
    }
    char hex[8];
    std::snprintf(hex, sizeof hex, "0x%02x", op);
    fail(std::string("the opcode ") + hex +
         (op >= 0x20 && op < 0x7f ? std::string(" ('") + static_cast<char>(op) + "')" : std::string()) +
         " is not one a state dict needs (refused: loading never runs code from a file)");
  }

  // The tensors under `root` with dotted names; each dict is entered once.
  std::vector<TensorRecord> flatten(const Value& root) {
    std::vector<TensorRecord> out;
    std::unordered_set<std::int64_t> entered;
    std::vector<std::pair<Value, std::string>> pending{{root, ""}};
    while (!pending.empty()) {
      auto [dict, prefix] = std::move(pending.back());
      pending.pop_back();
      if (!entered.insert(dict.integer).second) fail("a dict appears twice in the state dict (at '" + prefix + "')");
      const auto& pairs = object(dict).pairs;
      // Reversed onto the stack, so the names come out in the file's order.
      for (auto it = pairs.rbegin(); it != pairs.rend(); ++it) {
        const auto& [key, value] = *it;
        const std::string name = prefix + (key.kind == Kind::string ? *key.string : std::to_string(key.integer));
        if (is_object(value, ObjectKind::dict)) {
          pending.emplace_back(value, name + ".");
        } else if (is_object(value, ObjectKind::tensor)) {
          TensorRecord record = object(value).record;
          record.name = name;
          tensors_.push_back(std::move(record));
        }
      }
      // tensors_ collected in reverse for this dict: append them in order.
      for (auto it = tensors_.rbegin(); it != tensors_.rend(); ++it) out.push_back(std::move(*it));
      tensors_.clear();
    }
    return out;
  }

  std::string_view bytes_;
  std::string where_;
  std::size_t at_ = 0;
  std::size_t op_at_ = 0;
  std::vector<Value> stack_;
  std::vector<std::size_t> marks_;
  std::vector<Object> objects_;
  std::unordered_map<std::uint32_t, Value> memo_;
  std::vector<TensorRecord> tensors_;
};

}  // namespace

std::vector<TensorRecord> unpickle_state_dict(std::string_view pickle, const std::string& source) {
  return Unpickler(pickle, source).run();
}

}  // namespace tg::nn::pytorch
