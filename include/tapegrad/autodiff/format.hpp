// Numbers in messages and reports, as a person writes them.
#pragma once

#include <string>

namespace tg {

/// `value` with up to `precision` significant digits and no trailing zeros:
/// "2", "0.5", "1e-05", "nan" (std::to_string gives "2.000000").
std::string number_str(double value, int precision = 6);

}  // namespace tg
