#include "tapegrad/autodiff/format.hpp"

#include <sstream>

namespace tg {

std::string number_str(double value, int precision) {
  std::ostringstream out;
  out.precision(precision);
  out << value;
  return out.str();
}

}  // namespace tg
