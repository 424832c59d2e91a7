#pragma once
// Umbrella header: #include <minidl/minidl.h> gives the whole public API.
#include "minidl/core/dtype.h"
#include "minidl/core/parallel.h"
#include "minidl/core/random.h"
#include "minidl/core/shape.h"
#include "minidl/core/tensor.h"

#include "minidl/autograd/grad_mode.h"
#include "minidl/autograd/gradcheck.h"
#include "minidl/autograd/node.h"
#include "minidl/autograd/pointwise.h"
#include "minidl/autograd/ops/elementwise.h"
#include "minidl/autograd/ops/matmul.h"
#include "minidl/autograd/ops/pool2d.h"
#include "minidl/autograd/ops/reduce.h"
#include "minidl/autograd/ops/shape.h"
