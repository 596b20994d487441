// torch.save archives read by the restricted unpickler: state dicts of
// every storage type, views (offset, strides), names renamed into a model;
// and files that must be refused: a pickle that calls os.system, globals
// outside the allow-list, opcodes a state dict never uses, truncated and
// corrupt archives, sizes that do not match the archive. (Files written by
// real PyTorch: test_pytorch_interchange.cpp.)
#include <doctest/doctest.h>

#include <cstring>

#include "pytorch_support.hpp"

using namespace tg;
using namespace tg::test;

namespace {

std::string half_bytes(const std::vector<std::uint16_t>& values) {
  return {reinterpret_cast<const char*>(values.data()), values.size() * 2};
}

std::string long_bytes(const std::vector<std::int64_t>& values) {
  return {reinterpret_cast<const char*>(values.data()), values.size() * 8};
}

// {"w": (2, 3) float32, "wt": its transpose (a view with strides (1, 3)),
//  "tail": 2 elements at offset 4, "h": float16, "bf": bfloat16, "n": int64 scalar}
std::string every_kind_pickle() {
  Pickle p;
  p.begin_dict();
  p.str("w").tensor("FloatStorage", "0", 6, 0, {2, 3}, {3, 1});
  p.str("wt").tensor("FloatStorage", "0", 6, 0, {3, 2}, {1, 3});
  p.str("tail").tensor("FloatStorage", "0", 6, 4, {2}, {1});
  p.str("h").tensor("HalfStorage", "1", 3, 0, {3}, {1});
  p.str("bf").tensor("BFloat16Storage", "2", 2, 0, {2}, {1});
  p.str("n").tensor("LongStorage", "3", 1, 0, {}, {});
  p.end_dict();
  return p.stop();
}

std::vector<std::pair<std::string, std::string>> every_kind_storages() {
  return {{"0", float_bytes({1, 2, 3, 4, 5, 6})},
          {"1", half_bytes({0x3c00, 0xc000, 0x0001})},  // 1, -2, the smallest subnormal 2^-24
          {"2", half_bytes({0x3f80, 0x4049})},          // 1, 3.140625
          {"3", long_bytes({42})}};
}

}  // namespace

TEST_CASE("a state dict of every storage type, views included, loads with its names, shapes and values") {
  TempDir dir;
  write_pt(dir / "m.pt", every_kind_pickle(), every_kind_storages());
  const nn::TensorFile file = nn::load_pytorch_tensors(dir / "m.pt");
  REQUIRE(file.tensors.size() == 6);
  std::vector<std::string> names;
  for (const auto& [name, t] : file.tensors) names.push_back(name);
  CHECK(names == std::vector<std::string>{"w", "wt", "tail", "h", "bf", "n"});
  CHECK(file.get("w").shape() == Shape{2, 3});
  CHECK(file.get("w").to_vector<float>() == std::vector<float>{1, 2, 3, 4, 5, 6});
  CHECK(file.get("wt").to_vector<float>() == std::vector<float>{1, 4, 2, 5, 3, 6});
  CHECK(file.get("tail").to_vector<float>() == std::vector<float>{5, 6});
  CHECK(file.get("h").dtype() == f32);
  CHECK(file.get("h").to_vector<float>() == std::vector<float>{1, -2, std::ldexp(1.0f, -24)});
  CHECK(file.get("bf").to_vector<float>() == std::vector<float>{1, 3.140625f});
  CHECK(file.get("n").dtype() == i64);
  CHECK(file.get("n").shape() == Shape{});
  CHECK(file.get("n").to_vector<std::int64_t>() == std::vector<std::int64_t>{42});
}

TEST_CASE("nested dicts join their keys with dots; int keys are decimal; other values are skipped") {
  Pickle p;
  p.op('}').mark();
  p.str("epoch").integer(3);
  p.str("model").begin_dict().str("fc.weight").tensor("FloatStorage", "0", 2, 0, {1, 2}, {2, 1}).end_dict();
  p.str("state").op('}').mark().integer(0).op('}').mark().str("exp_avg").tensor("FloatStorage", "0", 2, 0, {2}, {1}).op('u').op('u');
  p.str("lr").op('G').op('\x3f').op('\xb9').op('\x99').op('\x99').op('\x99').op('\x99').op('\x99').op('\x9a');  // 0.1
  p.op('u');
  TempDir dir;
  write_pt(dir / "c.pt", p.stop(), {{"0", float_bytes({7, 8})}});
  const nn::TensorFile file = nn::load_pytorch_tensors(dir / "c.pt");
  REQUIRE(file.tensors.size() == 2);
  CHECK(file.get("model.fc.weight").to_vector<float>() == std::vector<float>{7, 8});
  CHECK(file.get("state.0.exp_avg").to_vector<float>() == std::vector<float>{7, 8});
}

TEST_CASE("load_pytorch fills a model, renames keys, and lists what does not fit") {
  // A Linear(2, 1)'s state dict under DataParallel's "module." prefix, plus a key to drop.
  Pickle p;
  p.begin_dict();
  p.str("module.weight").tensor("FloatStorage", "0", 3, 0, {1, 2}, {2, 1});
  p.str("module.bias").tensor("FloatStorage", "0", 3, 2, {1}, {1});
  p.str("extra").tensor("FloatStorage", "0", 3, 0, {1}, {1});
  p.end_dict();
  TempDir dir;
  write_pt(dir / "m.pt", p.stop(), {{"0", float_bytes({0.5f, -1.5f, 2.0f})}});

  nn::Linear model(2, 1);
  const auto strip = [](const std::string& name) { return name.starts_with("module.") ? name.substr(7) : std::string(); };
  const nn::LoadResult result = nn::load_pytorch(model, dir / "m.pt", {.rename = strip});
  CHECK(result.missing.empty());
  CHECK(model.weight.to_vector<float>() == std::vector<float>{0.5f, -1.5f});
  CHECK(model.bias.to_vector<float>() == std::vector<float>{2.0f});
  const auto out = model(tensor({1, 1}, {1, 2}));
  CHECK(out.to_vector<float>()[0] == doctest::Approx(1.0));

  const std::string unrenamed = checkpoint_error([&] { nn::load_pytorch(model, dir / "m.pt"); });
  CHECK(unrenamed.find("does not fit Linear") != std::string::npos);
  CHECK(unrenamed.find("missing: weight, bias") != std::string::npos);
  CHECK(unrenamed.find("unexpected: module.weight, module.bias, extra") != std::string::npos);

  const auto to_one = [](const std::string&) { return std::string("weight"); };
  CHECK_THROWS_WITH_AS(nn::load_pytorch(model, dir / "m.pt", {.rename = to_one}),
                       "load_pytorch: rename maps both 'module.weight' and 'module.bias' to 'weight'", InvalidArgument);
}

TEST_CASE("a pickle that calls os.system is refused before anything runs") {
  TempDir dir;
  const std::string marker = dir / "ran";
  Pickle p;
  p.global("os", "system").mark().str("touch " + marker).op('t').op('R');
  write_pt(dir / "evil.pt", p.stop(), {});
  const std::string message = checkpoint_error([&] { nn::load_pytorch_tensors(dir / "evil.pt"); });
  CHECK(message.find("pytorch file '" + (dir / "evil.pt") + "': data.pkl: refers to os.system, which loading does not allow") == 0);
  CHECK(message.find("(at byte 2)") != std::string::npos);
  CHECK_FALSE(fs::exists(marker));

  // The same through STACK_GLOBAL (protocol 4) and posix.system.
  std::string stacked = "\x80\x04";
  stacked += "\x8c\x05posix\x8c\x06system\x93";
  stacked += ".";
  write_pt(dir / "evil4.pt", stacked, {});
  CHECK(checkpoint_error([&] { nn::load_pytorch_tensors(dir / "evil4.pt"); }).find("refers to posix.system") != std::string::npos);
}

TEST_CASE("globals outside the allow-list, and opcodes a state dict does not use, are refused") {
  TempDir dir;
  const auto refused = [&](const std::string& pickle) {
    write_pt(dir / "x.pt", pickle, {});
    return checkpoint_error([&] { nn::load_pytorch_tensors(dir / "x.pt"); });
  };
  CHECK(refused(Pickle().global("builtins", "eval").stop()).find("refers to builtins.eval, which loading does not allow") != std::string::npos);
  CHECK(refused(Pickle().global("torch", "load").stop()).find("refers to torch.load") != std::string::npos);
  CHECK(refused(Pickle().global("torch._utils", "_rebuild_tensor").stop()).find("refers to torch._utils._rebuild_tensor,") != std::string::npos);
  // INST ('i'), OBJ ('o'), NEWOBJ (0x81), PERSID ('P'), EXT1 (0x82): ways to call or import.
  CHECK(refused(Pickle().op('i').stop()).find("the opcode 0x69 ('i') is not one a state dict needs") != std::string::npos);
  CHECK(refused(Pickle().op('o').stop()).find("the opcode 0x6f ('o')") != std::string::npos);
  CHECK(refused(Pickle().op('\x81').stop()).find("the opcode 0x81 is not one") != std::string::npos);
  CHECK(refused(Pickle().op('P').stop()).find("the opcode 0x50 ('P')") != std::string::npos);
  CHECK(refused(Pickle().op('\x82').stop()).find("the opcode 0x82") != std::string::npos);
  // An allowed class used as something else.
  CHECK(refused(Pickle().global("torch", "FloatStorage").op(')').op('R').stop())
            .find("a storage class is only allowed inside a persistent id, not called") != std::string::npos);
  CHECK(refused(Pickle().begin_dict().str("x").integer(1).op(')').op('R').end_dict().stop())
            .find("REDUCE applies a int, which is not callable") != std::string::npos);
  CHECK(refused(Pickle().op(']').stop()).find("the pickled object is a list, not a dict (a state dict)") != std::string::npos);
  CHECK(refused(Pickle().op('\x80').op('\x06').stop()).find("pickle protocol 6 is not read") != std::string::npos);
}

TEST_CASE("malformed pickles: truncation, a dict inside itself, bad tensor geometry") {
  TempDir dir;
  const auto refused = [&](const std::string& pickle, const std::vector<std::pair<std::string, std::string>>& storages = {}) {
    write_pt(dir / "x.pt", pickle, storages);
    return checkpoint_error([&] { nn::load_pytorch_tensors(dir / "x.pt"); });
  };
  const std::string whole = every_kind_pickle();
  CHECK(refused(whole.substr(0, whole.size() - 1), every_kind_storages()).find("truncated: the pickle ends without its STOP opcode") != std::string::npos);
  CHECK(refused(whole.substr(0, 40)).find("truncated") != std::string::npos);
  std::string long_string = "\x80\x02X\xff\xff\xff\x7f";
  CHECK(refused(long_string + "ab.").find("truncated: 2147483647 bytes announced, 3 left") != std::string::npos);
  CHECK(refused(Pickle().op('h').op('\x05').stop()).find("the memo has no entry 5") != std::string::npos);
  CHECK(refused(Pickle().op('s').stop()).find("takes a value from an empty stack") != std::string::npos);
  CHECK(refused(Pickle().op('t').stop()).find("needs a MARK, and there is none") != std::string::npos);
  // d = {}; d["d"] = d
  CHECK(refused(Pickle().op('}').op('q').op('\x00').str("d").op('h').op('\x00').op('s').stop())
            .find("a dict appears twice in the state dict (at 'd.')") != std::string::npos);
  const std::string storage = float_bytes({1, 2, 3, 4});
  const auto one = [](auto&& add) {
    Pickle p;
    p.begin_dict().str("t");
    add(p);
    return p.end_dict().stop();
  };
  CHECK(refused(one([](Pickle& p) { p.tensor("FloatStorage", "0", 4, 0, {2, 3}, {3, 1}); }), {{"0", storage}})
            .find("a tensor reaches element 5 of storage '0', which has 4") != std::string::npos);
  CHECK(refused(one([](Pickle& p) { p.tensor("FloatStorage", "0", 4, 0, {2}, {-1}); }), {{"0", storage}})
            .find("a tensor has a negative size or stride") != std::string::npos);
  CHECK(refused(one([](Pickle& p) { p.tensor("FloatStorage", "0", 4, -1, {2}, {1}); }), {{"0", storage}})
            .find("negative storage offset -1") != std::string::npos);
  CHECK(refused(one([](Pickle& p) { p.tensor("FloatStorage", "0", 4, 0, {2, 2}, {1}); }), {{"0", storage}})
            .find("a tensor has 2 sizes but 1 strides") != std::string::npos);
  CHECK(refused(one([](Pickle& p) { p.tensor("FloatStorage", "0", 4, 0, {4, 4}, {0, 1}); }), {{"0", storage}})
            .find("'t' (4, 4) has more elements than its storage (4): an expanded view") != std::string::npos);
  CHECK(refused(one([](Pickle& p) { p.tensor("FloatStorage", "../0", 4, 0, {4}, {1}); }), {{"0", storage}})
            .find("the storage key '../0' is not a plain name") != std::string::npos);
}

TEST_CASE("archives that do not hold what the pickle says, truncated or corrupt, are refused") {
  TempDir dir;
  // The storage entry shorter than the pickle's numel.
  write_pt(dir / "short.pt", every_kind_pickle(), {{"0", float_bytes({1, 2, 3})}, {"1", half_bytes({1, 2, 3})}});
  CHECK(checkpoint_error([&] { nn::load_pytorch_tensors(dir / "short.pt"); })
            .find("the storage '0' of 'w' should hold 6 elements of torch.FloatStorage, but its entry has 12 bytes") != std::string::npos);
  // A missing storage entry.
  write_pt(dir / "missing.pt", every_kind_pickle(), {{"0", float_bytes({1, 2, 3, 4, 5, 6})}});
  CHECK(checkpoint_error([&] { nn::load_pytorch_tensors(dir / "missing.pt"); }).find("the archive has no entry 'archive/data/1'") != std::string::npos);
  // No data.pkl.
  write_zip(dir / "other.zip", {{"readme.txt", "hello"}});
  CHECK(checkpoint_error([&] { nn::load_pytorch_tensors(dir / "other.zip"); })
            .find("the archive has no data.pkl: not a file written by torch.save") != std::string::npos);
  // Big-endian storages.
  write_zip(dir / "big.pt", {{"archive/data.pkl", every_kind_pickle()}, {"archive/byteorder", "big"}});
  CHECK(checkpoint_error([&] { nn::load_pytorch_tensors(dir / "big.pt"); }).find("stored 'big'-endian") != std::string::npos);
  // Not a zip at all (the legacy format, or anything else), and missing.
  write_bytes(dir / "legacy.pt", {0x80, 0x02, 0x8a, 0x0a});
  CHECK(checkpoint_error([&] { nn::load_pytorch_tensors(dir / "legacy.pt"); }).find("not a readable zip archive") != std::string::npos);
  CHECK(checkpoint_error([&] { nn::load_pytorch_tensors(dir / "nothing.pt"); }).find("cannot open pytorch file") == 0);

  // A good archive cut at every 97th byte, and with each of its bytes in turn flipped in the data.
  write_pt(dir / "good.pt", every_kind_pickle(), every_kind_storages());
  const std::vector<std::uint8_t> good = read_bytes(dir / "good.pt");
  for (std::size_t cut = 0; cut < good.size(); cut += 97) {
    const std::vector<std::uint8_t> part(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(cut));
    CHECK_THROWS_AS(nn::decode_pytorch_tensors(part, "cut"), nn::CheckpointError);
  }
  // A flipped byte in a storage is caught by the CRC.
  const std::string storage = float_bytes({1, 2, 3, 4, 5, 6});
  const std::vector<std::uint8_t> needle(storage.begin(), storage.end());
  const auto at = std::search(good.begin(), good.end(), needle.begin(), needle.end());
  REQUIRE(at != good.end());
  std::vector<std::uint8_t> flipped = good;
  flipped[static_cast<std::size_t>(at - good.begin()) + 5] ^= 0x40;
  CHECK(checkpoint_error([&] { nn::decode_pytorch_tensors(flipped, "flipped"); }).find("corrupt entry 'archive/data/0'") != std::string::npos);
}
