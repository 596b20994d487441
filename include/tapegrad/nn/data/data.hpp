// tg::data: reading data sets (IDX, CSV, MNIST and Fashion-MNIST), holding
// them in memory, batching and shuffling them, normalising inputs.
#pragma once

#include "csv.hpp"
#include "dataset.hpp"
#include "errors.hpp"
#include "idx.hpp"
#include "loader.hpp"
#include "mnist.hpp"
#include "normalize.hpp"
