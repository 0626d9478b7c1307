// tuneflow's graph engine: a thin N-API binding over TensorFlow's C API. It builds a graph op by op
// (the TypeScript side, training/graph/, decides which ops), adds gradients with TF_AddGradients,
// and runs a session whose variables keep weights and optimizer state inside TensorFlow between
// calls. trainSteps runs many training steps per call on a worker thread (one TF_SessionRun each),
// gathering each batch's rows from the epoch's data in the shuffled order, so the event loop stays free.
//
// Values cross the boundary as {dtype, shape, data} with a typed array; an output is [op, index]
// where op is the index returned by addOp (ops that TF_AddGradients creates get indices on demand).
#include <dlfcn.h>
#include <node_api.h>
#include <tensorflow/c/c_api.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace {

struct Engine {
  TF_Graph* graph = TF_NewGraph();
  TF_Session* session = nullptr;
  std::vector<TF_Operation*> ops;
  std::unordered_map<TF_Operation*, int> index;
  bool busy = false;  // a trainSteps call is running on a worker thread

  int indexOf(TF_Operation* op) {
    auto found = index.find(op);
    if (found != index.end()) return found->second;
    ops.push_back(op);
    index[op] = static_cast<int>(ops.size() - 1);
    return static_cast<int>(ops.size() - 1);
  }
  /** Frees TensorFlow's side now (weights, optimizer state, kernels) rather than at garbage collection. */
  void close() {
    if (session) {
      TF_Status* status = TF_NewStatus();
      TF_CloseSession(session, status);
      TF_DeleteSession(session, status);
      TF_DeleteStatus(status);
      session = nullptr;
    }
    if (graph) TF_DeleteGraph(graph);
    graph = nullptr;
    ops.clear();
    index.clear();
  }
  ~Engine() { close(); }
};

struct JsError {
  std::string message;
};

#define CHECK_NAPI(call)                                        \
  do {                                                          \
    if ((call) != napi_ok) throw JsError{"N-API call failed: " #call}; \
  } while (0)

void checkStatus(TF_Status* status, const std::string& what) {
  if (TF_GetCode(status) != TF_OK) throw JsError{what + ": " + TF_Message(status)};
}

struct Status {
  TF_Status* s = TF_NewStatus();
  ~Status() { TF_DeleteStatus(s); }
};

// ---- reading JS values ----------------------------------------------------------------------

std::string getString(napi_env env, napi_value value) {
  size_t length = 0;
  CHECK_NAPI(napi_get_value_string_utf8(env, value, nullptr, 0, &length));
  std::string out(length, '\0');
  CHECK_NAPI(napi_get_value_string_utf8(env, value, out.data(), length + 1, &length));
  return out;
}

double getNumber(napi_env env, napi_value value) {
  double out = 0;
  if (napi_get_value_double(env, value, &out) != napi_ok) throw JsError{"expected a number"};
  return out;
}

napi_value getProp(napi_env env, napi_value object, const char* key) {
  napi_value out;
  CHECK_NAPI(napi_get_named_property(env, object, key, &out));
  return out;
}

bool hasProp(napi_env env, napi_value object, const char* key) {
  bool has = false;
  CHECK_NAPI(napi_has_named_property(env, object, key, &has));
  return has;
}

uint32_t arrayLength(napi_env env, napi_value array) {
  uint32_t length = 0;
  if (napi_get_array_length(env, array, &length) != napi_ok) throw JsError{"expected an array"};
  return length;
}

napi_value element(napi_env env, napi_value array, uint32_t i) {
  napi_value out;
  CHECK_NAPI(napi_get_element(env, array, i, &out));
  return out;
}

std::vector<int64_t> getInts(napi_env env, napi_value array) {
  std::vector<int64_t> out;
  for (uint32_t i = 0, n = arrayLength(env, array); i < n; i++) out.push_back(static_cast<int64_t>(getNumber(env, element(env, array, i))));
  return out;
}

TF_DataType dtypeOf(const std::string& name) {
  if (name == "float32") return TF_FLOAT;
  if (name == "int32") return TF_INT32;
  if (name == "int64") return TF_INT64;
  if (name == "bool") return TF_BOOL;
  throw JsError{"unknown dtype " + name};
}

const char* dtypeName(TF_DataType type) {
  switch (type) {
    case TF_FLOAT: return "float32";
    case TF_INT32: return "int32";
    case TF_INT64: return "int64";
    case TF_BOOL: return "bool";
    default: return "unsupported";
  }
}

Engine* getEngine(napi_env env, napi_value value) {
  void* data = nullptr;
  if (napi_get_value_external(env, value, &data) != napi_ok || data == nullptr) throw JsError{"expected a graph engine handle"};
  auto* engine = static_cast<Engine*>(data);
  if (engine->graph == nullptr) throw JsError{"the graph engine was closed"};
  return engine;
}

TF_Output getOutput(napi_env env, Engine* engine, napi_value pair) {
  if (arrayLength(env, pair) != 2) throw JsError{"an output is [op, index]"};
  auto op = static_cast<size_t>(getNumber(env, element(env, pair, 0)));
  if (op >= engine->ops.size()) throw JsError{"unknown op index " + std::to_string(op)};
  return TF_Output{engine->ops[op], static_cast<int>(getNumber(env, element(env, pair, 1)))};
}

std::vector<TF_Output> getOutputs(napi_env env, Engine* engine, napi_value array) {
  std::vector<TF_Output> out;
  for (uint32_t i = 0, n = arrayLength(env, array); i < n; i++) out.push_back(getOutput(env, engine, element(env, array, i)));
  return out;
}

void deleteTensor(TF_Tensor* t) {
  if (t) TF_DeleteTensor(t);
}
using TensorPtr = std::unique_ptr<TF_Tensor, decltype(&deleteTensor)>;

/** {dtype, shape, data} -> a new TF_Tensor holding a copy of data. */
TensorPtr getTensor(napi_env env, napi_value value) {
  TF_DataType type = dtypeOf(getString(env, getProp(env, value, "dtype")));
  std::vector<int64_t> shape = getInts(env, getProp(env, value, "shape"));
  napi_typedarray_type arrayType;
  size_t length = 0;
  void* data = nullptr;
  napi_value buffer;
  size_t offset = 0;
  if (napi_get_typedarray_info(env, getProp(env, value, "data"), &arrayType, &length, &data, &buffer, &offset) != napi_ok) {
    throw JsError{"tensor data must be a typed array"};
  }
  int64_t count = 1;
  for (int64_t d : shape) count *= d;
  size_t bytes = static_cast<size_t>(count) * TF_DataTypeSize(type);
  size_t have = length * (arrayType == napi_float64_array || arrayType == napi_bigint64_array ? 8 : arrayType == napi_int32_array || arrayType == napi_float32_array || arrayType == napi_uint32_array ? 4 : 1);
  if (have != bytes) throw JsError{"tensor data holds " + std::to_string(have) + " bytes, its shape needs " + std::to_string(bytes)};
  TF_Tensor* tensor = TF_AllocateTensor(type, shape.data(), static_cast<int>(shape.size()), bytes);
  if (bytes > 0) std::memcpy(TF_TensorData(tensor), data, bytes);
  return TensorPtr(tensor, deleteTensor);
}

/** An array of op indices -> the ops (targets to run, or control inputs). */
std::vector<TF_Operation*> getOps(napi_env env, Engine* engine, napi_value array) {
  std::vector<TF_Operation*> out;
  for (uint32_t i = 0, n = arrayLength(env, array); i < n; i++) {
    auto op = static_cast<size_t>(getNumber(env, element(env, array, i)));
    if (op >= engine->ops.size()) throw JsError{"unknown op index " + std::to_string(op)};
    out.push_back(engine->ops[op]);
  }
  return out;
}

/** [[op, i], tensor][] -> the outputs fed and copies of their values. */
void getFeeds(napi_env env, Engine* engine, napi_value array, std::vector<TF_Output>* feeds, std::vector<TensorPtr>* values) {
  for (uint32_t i = 0, n = arrayLength(env, array); i < n; i++) {
    napi_value pair = element(env, array, i);
    feeds->push_back(getOutput(env, engine, element(env, pair, 0)));
    values->push_back(getTensor(env, element(env, pair, 1)));
  }
}

napi_value makeTensor(napi_env env, TF_Tensor* tensor) {
  TF_DataType type = TF_TensorType(tensor);
  size_t bytes = TF_TensorByteSize(tensor);
  napi_value result, shape, arrayBuffer, data, dtype;
  CHECK_NAPI(napi_create_object(env, &result));
  CHECK_NAPI(napi_create_array(env, &shape));
  for (int i = 0; i < TF_NumDims(tensor); i++) {
    napi_value dim;
    CHECK_NAPI(napi_create_double(env, static_cast<double>(TF_Dim(tensor, i)), &dim));
    CHECK_NAPI(napi_set_element(env, shape, i, dim));
  }
  void* target = nullptr;
  CHECK_NAPI(napi_create_arraybuffer(env, bytes, &target, &arrayBuffer));
  if (bytes > 0) std::memcpy(target, TF_TensorData(tensor), bytes);
  napi_typedarray_type arrayType = napi_float32_array;
  size_t elementSize = 4;
  if (type == TF_INT32) arrayType = napi_int32_array;
  else if (type == TF_INT64) arrayType = napi_bigint64_array, elementSize = 8;
  else if (type == TF_BOOL) arrayType = napi_uint8_array, elementSize = 1;
  else if (type != TF_FLOAT) throw JsError{std::string("cannot return a tensor of type ") + dtypeName(type)};
  CHECK_NAPI(napi_create_typedarray(env, arrayType, bytes / elementSize, arrayBuffer, 0, &data));
  CHECK_NAPI(napi_create_string_utf8(env, dtypeName(type), NAPI_AUTO_LENGTH, &dtype));
  CHECK_NAPI(napi_set_named_property(env, result, "dtype", dtype));
  CHECK_NAPI(napi_set_named_property(env, result, "shape", shape));
  CHECK_NAPI(napi_set_named_property(env, result, "data", data));
  return result;
}

napi_value makeOutputs(napi_env env, Engine* engine, const std::vector<TF_Output>& outputs) {
  napi_value array;
  CHECK_NAPI(napi_create_array_with_length(env, outputs.size(), &array));
  for (size_t i = 0; i < outputs.size(); i++) {
    napi_value pair, op, index;
    CHECK_NAPI(napi_create_array_with_length(env, 2, &pair));
    if (outputs[i].oper == nullptr) {
      CHECK_NAPI(napi_get_null(env, &pair));
    } else {
      CHECK_NAPI(napi_create_int32(env, engine->indexOf(outputs[i].oper), &op));
      CHECK_NAPI(napi_create_int32(env, outputs[i].index, &index));
      CHECK_NAPI(napi_set_element(env, pair, 0, op));
      CHECK_NAPI(napi_set_element(env, pair, 1, index));
    }
    CHECK_NAPI(napi_set_element(env, array, static_cast<uint32_t>(i), pair));
  }
  return array;
}

// ---- attributes: {i}, {f}, {b}, {type}, {types}, {shape}, {ints}, {s}, {tensor} ---------------

void setAttr(napi_env env, TF_OperationDescription* desc, const std::string& name, napi_value value) {
  const char* key = name.c_str();
  Status status;
  if (hasProp(env, value, "i")) {
    TF_SetAttrInt(desc, key, static_cast<int64_t>(getNumber(env, getProp(env, value, "i"))));
  } else if (hasProp(env, value, "f")) {
    TF_SetAttrFloat(desc, key, static_cast<float>(getNumber(env, getProp(env, value, "f"))));
  } else if (hasProp(env, value, "b")) {
    bool b = false;
    CHECK_NAPI(napi_get_value_bool(env, getProp(env, value, "b"), &b));
    TF_SetAttrBool(desc, key, b ? 1 : 0);
  } else if (hasProp(env, value, "type")) {
    TF_SetAttrType(desc, key, dtypeOf(getString(env, getProp(env, value, "type"))));
  } else if (hasProp(env, value, "types")) {
    napi_value list = getProp(env, value, "types");
    std::vector<TF_DataType> types;
    for (uint32_t i = 0, n = arrayLength(env, list); i < n; i++) types.push_back(dtypeOf(getString(env, element(env, list, i))));
    TF_SetAttrTypeList(desc, key, types.data(), static_cast<int>(types.size()));
  } else if (hasProp(env, value, "shape")) {
    napi_value shape = getProp(env, value, "shape");
    napi_valuetype kind;
    CHECK_NAPI(napi_typeof(env, shape, &kind));
    if (kind == napi_null) {
      TF_SetAttrShape(desc, key, nullptr, -1);  // unknown rank
    } else {
      std::vector<int64_t> dims = getInts(env, shape);
      TF_SetAttrShape(desc, key, dims.data(), static_cast<int>(dims.size()));
    }
  } else if (hasProp(env, value, "ints")) {
    std::vector<int64_t> ints = getInts(env, getProp(env, value, "ints"));
    TF_SetAttrIntList(desc, key, ints.data(), static_cast<int>(ints.size()));
  } else if (hasProp(env, value, "s")) {
    std::string s = getString(env, getProp(env, value, "s"));
    TF_SetAttrString(desc, key, s.data(), s.size());
  } else if (hasProp(env, value, "tensor")) {
    TensorPtr tensor = getTensor(env, getProp(env, value, "tensor"));
    TF_SetAttrTensor(desc, key, tensor.get(), status.s);
    checkStatus(status.s, "attribute " + name);
  } else {
    throw JsError{"attribute " + name + ": unknown kind"};
  }
}

// ---- exported functions ---------------------------------------------------------------------

template <size_t N>
std::vector<napi_value> args(napi_env env, napi_callback_info info) {
  size_t argc = N;
  std::vector<napi_value> argv(N);
  CHECK_NAPI(napi_get_cb_info(env, info, &argc, argv.data(), nullptr, nullptr));
  return argv;
}

napi_value guarded(napi_env env, napi_value (*body)(napi_env, napi_callback_info), napi_callback_info info) {
  try {
    return body(env, info);
  } catch (const JsError& error) {
    napi_throw_error(env, nullptr, error.message.c_str());
    return nullptr;
  }
}

#define EXPORTED(name)                                                        \
  napi_value name##Impl(napi_env env, napi_callback_info info);               \
  napi_value name(napi_env env, napi_callback_info info) { return guarded(env, name##Impl, info); } \
  napi_value name##Impl(napi_env env, napi_callback_info info)

void finalizeEngine(napi_env, void* data, void*) { delete static_cast<Engine*>(data); }

/** newGraph() -> handle */
EXPORTED(newGraph) {
  (void)info;
  napi_value handle;
  CHECK_NAPI(napi_create_external(env, new Engine(), finalizeEngine, nullptr, &handle));
  return handle;
}

/** addOp(handle, type, name, inputs, attrs, controlInputs) -> op index */
EXPORTED(addOp) {
  auto argv = args<6>(env, info);
  Engine* engine = getEngine(env, argv[0]);
  if (engine->session) throw JsError{"the graph is frozen once a session runs it"};
  std::string type = getString(env, argv[1]);
  std::string name = getString(env, argv[2]);
  TF_OperationDescription* desc = TF_NewOperation(engine->graph, type.c_str(), name.c_str());
  try {
    for (uint32_t i = 0, n = arrayLength(env, argv[3]); i < n; i++) {
      napi_value input = element(env, argv[3], i);
      bool isArray = false;
      CHECK_NAPI(napi_is_array(env, input, &isArray));
      if (isArray) TF_AddInput(desc, getOutput(env, engine, input));
      else {
        std::vector<TF_Output> list = getOutputs(env, engine, getProp(env, input, "list"));
        TF_AddInputList(desc, list.data(), static_cast<int>(list.size()));
      }
    }
    napi_value keys;
    CHECK_NAPI(napi_get_property_names(env, argv[4], &keys));
    for (uint32_t i = 0, n = arrayLength(env, keys); i < n; i++) {
      napi_value key = element(env, keys, i);
      napi_value value;
      CHECK_NAPI(napi_get_property(env, argv[4], key, &value));
      setAttr(env, desc, getString(env, key), value);
    }
    napi_valuetype controlKind;
    CHECK_NAPI(napi_typeof(env, argv[5], &controlKind));
    if (controlKind == napi_object) {
      for (TF_Operation* op : getOps(env, engine, argv[5])) TF_AddControlInput(desc, op);
    }
  } catch (const JsError& error) {
    Status status;
    TF_FinishOperation(desc, status.s);  // a description must be finished; the error wins
    throw JsError{type + " " + name + ": " + error.message};
  }
  Status status;
  TF_Operation* op = TF_FinishOperation(desc, status.s);
  checkStatus(status.s, type + " " + name);
  napi_value result;
  CHECK_NAPI(napi_create_int32(env, engine->indexOf(op), &result));
  return result;
}

/** numOutputs(handle, op) -> count */
EXPORTED(numOutputs) {
  auto argv = args<2>(env, info);
  Engine* engine = getEngine(env, argv[0]);
  auto op = static_cast<size_t>(getNumber(env, argv[1]));
  if (op >= engine->ops.size()) throw JsError{"unknown op index"};
  napi_value result;
  CHECK_NAPI(napi_create_int32(env, TF_OperationNumOutputs(engine->ops[op]), &result));
  return result;
}

/** outputShape(handle, [op, index]) -> dims (-1 unknown) or null for unknown rank */
EXPORTED(outputShape) {
  auto argv = args<2>(env, info);
  Engine* engine = getEngine(env, argv[0]);
  TF_Output output = getOutput(env, engine, argv[1]);
  Status status;
  int rank = TF_GraphGetTensorNumDims(engine->graph, output, status.s);
  checkStatus(status.s, "shape");
  napi_value result;
  if (rank < 0) {
    CHECK_NAPI(napi_get_null(env, &result));
    return result;
  }
  std::vector<int64_t> dims(rank);
  TF_GraphGetTensorShape(engine->graph, output, dims.data(), rank, status.s);
  checkStatus(status.s, "shape");
  CHECK_NAPI(napi_create_array_with_length(env, rank, &result));
  for (int i = 0; i < rank; i++) {
    napi_value dim;
    CHECK_NAPI(napi_create_double(env, static_cast<double>(dims[i]), &dim));
    CHECK_NAPI(napi_set_element(env, result, i, dim));
  }
  return result;
}

/** addGradients(handle, prefix, ys, xs) -> d(sum ys)/d xs, null where xs do not reach ys */
EXPORTED(addGradients) {
  auto argv = args<4>(env, info);
  Engine* engine = getEngine(env, argv[0]);
  std::string prefix = getString(env, argv[1]);
  std::vector<TF_Output> ys = getOutputs(env, engine, argv[2]);
  std::vector<TF_Output> xs = getOutputs(env, engine, argv[3]);
  std::vector<TF_Output> dx(xs.size());
  Status status;
  TF_AddGradientsWithPrefix(engine->graph, prefix.c_str(), ys.data(), static_cast<int>(ys.size()), xs.data(), static_cast<int>(xs.size()), nullptr, status.s, dx.data());
  checkStatus(status.s, "gradients");
  return makeOutputs(env, engine, dx);
}

/** startSession(handle, configProtoBytes: Uint8Array) */
EXPORTED(startSession) {
  auto argv = args<2>(env, info);
  Engine* engine = getEngine(env, argv[0]);
  if (engine->session) throw JsError{"the session already runs"};
  void* data = nullptr;
  size_t length = 0;
  napi_typedarray_type type;
  napi_value buffer;
  size_t offset;
  CHECK_NAPI(napi_get_typedarray_info(env, argv[1], &type, &length, &data, &buffer, &offset));
  TF_SessionOptions* options = TF_NewSessionOptions();
  Status status;
  TF_SetConfig(options, data, length, status.s);
  if (TF_GetCode(status.s) == TF_OK) engine->session = TF_NewSession(engine->graph, options, status.s);
  TF_DeleteSessionOptions(options);
  checkStatus(status.s, "session");
  return nullptr;
}

/** Runs the session once; the outputs are owned by the caller. */
std::vector<TensorPtr> runSession(Engine* engine, const std::vector<TF_Output>& feeds, const std::vector<TF_Tensor*>& values,
                                  const std::vector<TF_Output>& fetches, const std::vector<TF_Operation*>& targets) {
  std::vector<TF_Tensor*> out(fetches.size(), nullptr);
  Status status;
  TF_SessionRun(engine->session, nullptr, feeds.data(), values.data(), static_cast<int>(feeds.size()), fetches.data(), out.data(),
                static_cast<int>(fetches.size()), targets.data(), static_cast<int>(targets.size()), nullptr, status.s);
  std::vector<TensorPtr> owned;
  for (TF_Tensor* t : out) owned.emplace_back(t, deleteTensor);
  checkStatus(status.s, "run");
  return owned;
}

/** run(handle, feeds: [[op, i], tensor][], fetches: [op, i][], targets: op[]) -> tensors */
EXPORTED(run) {
  auto argv = args<4>(env, info);
  Engine* engine = getEngine(env, argv[0]);
  if (!engine->session) throw JsError{"startSession first"};
  if (engine->busy) throw JsError{"the engine is training on another thread"};
  std::vector<TF_Output> feeds;
  std::vector<TensorPtr> owned;
  getFeeds(env, engine, argv[1], &feeds, &owned);
  std::vector<TF_Tensor*> values;
  for (auto& value : owned) values.push_back(value.get());
  std::vector<TensorPtr> out = runSession(engine, feeds, values, getOutputs(env, engine, argv[2]), getOps(env, engine, argv[3]));
  napi_value result;
  CHECK_NAPI(napi_create_array_with_length(env, out.size(), &result));
  for (size_t i = 0; i < out.size(); i++) CHECK_NAPI(napi_set_element(env, result, static_cast<uint32_t>(i), makeTensor(env, out[i].get())));
  return result;
}

// ---- trainSteps: the hot loop, on a worker thread --------------------------------------------

struct Steps {
  Engine* engine;
  napi_ref handleRef, xRef, yRef, orderRef;
  napi_deferred deferred;
  napi_async_work work;
  // inputs
  const uint8_t* x;
  const uint8_t* y;
  TF_DataType xType, yType;
  std::vector<int64_t> xRow, yRow;  // per-example shapes
  size_t xRowBytes, yRowBytes;
  const int32_t* order;
  size_t orderLength;
  int64_t batchSize, start, count;
  TF_Output xFeed, yFeed, seedFeed;
  bool hasSeed;
  int64_t seedBase;
  std::vector<TF_Output> extraFeeds;
  std::vector<TensorPtr> extraValues;
  std::vector<TF_Output> fetches;  // scalars, float32
  std::vector<TF_Operation*> targets;
  // outputs
  std::vector<float> results;
  std::string error;
};

size_t rowBytes(const std::vector<int64_t>& row, TF_DataType type) {
  size_t n = TF_DataTypeSize(type);
  for (int64_t d : row) n *= static_cast<size_t>(d);
  return n;
}

void executeSteps(napi_env, void* data) {
  auto* s = static_cast<Steps*>(data);
  try {
    size_t total = s->orderLength;
    for (int64_t b = s->start; b < s->start + s->count; b++) {
      size_t from = static_cast<size_t>(b * s->batchSize);
      if (from >= total) break;
      size_t rows = std::min(static_cast<size_t>(s->batchSize), total - from);
      std::vector<int64_t> xShape{static_cast<int64_t>(rows)}, yShape{static_cast<int64_t>(rows)};
      xShape.insert(xShape.end(), s->xRow.begin(), s->xRow.end());
      yShape.insert(yShape.end(), s->yRow.begin(), s->yRow.end());
      TensorPtr xb(TF_AllocateTensor(s->xType, xShape.data(), static_cast<int>(xShape.size()), rows * s->xRowBytes), deleteTensor);
      TensorPtr yb(TF_AllocateTensor(s->yType, yShape.data(), static_cast<int>(yShape.size()), rows * s->yRowBytes), deleteTensor);
      auto* xd = static_cast<uint8_t*>(TF_TensorData(xb.get()));
      auto* yd = static_cast<uint8_t*>(TF_TensorData(yb.get()));
      for (size_t r = 0; r < rows; r++) {
        size_t example = static_cast<size_t>(s->order[from + r]);
        std::memcpy(xd + r * s->xRowBytes, s->x + example * s->xRowBytes, s->xRowBytes);
        std::memcpy(yd + r * s->yRowBytes, s->y + example * s->yRowBytes, s->yRowBytes);
      }
      std::vector<TF_Output> feeds{s->xFeed, s->yFeed};
      std::vector<TF_Tensor*> values{xb.get(), yb.get()};
      TensorPtr seed(nullptr, deleteTensor);
      if (s->hasSeed) {
        int64_t dims[1] = {2};
        seed.reset(TF_AllocateTensor(TF_INT64, dims, 1, 16));
        auto* sd = static_cast<int64_t*>(TF_TensorData(seed.get()));
        sd[0] = s->seedBase;
        sd[1] = b;  // the step within the epoch: a resumed epoch draws the same masks
        feeds.push_back(s->seedFeed);
        values.push_back(seed.get());
      }
      for (size_t i = 0; i < s->extraFeeds.size(); i++) {
        feeds.push_back(s->extraFeeds[i]);
        values.push_back(s->extraValues[i].get());
      }
      std::vector<TensorPtr> out = runSession(s->engine, feeds, values, s->fetches, s->targets);
      for (auto& t : out) {
        if (TF_TensorType(t.get()) != TF_FLOAT || TF_TensorElementCount(t.get()) != 1) throw JsError{"trainSteps fetches must be float32 scalars"};
        s->results.push_back(*static_cast<float*>(TF_TensorData(t.get())));
      }
      s->results.push_back(static_cast<float>(rows));
    }
  } catch (const JsError& error) {
    s->error = error.message;
  }
}

void completeSteps(napi_env env, napi_status, void* data) {
  std::unique_ptr<Steps> s(static_cast<Steps*>(data));
  s->engine->busy = false;
  napi_value result;
  if (s->error.empty()) {
    napi_value buffer;
    void* target = nullptr;
    napi_create_arraybuffer(env, s->results.size() * sizeof(float), &target, &buffer);
    if (!s->results.empty()) std::memcpy(target, s->results.data(), s->results.size() * sizeof(float));
    napi_create_typedarray(env, napi_float32_array, s->results.size(), buffer, 0, &result);
    napi_resolve_deferred(env, s->deferred, result);
  } else {
    napi_value message;
    napi_create_string_utf8(env, s->error.c_str(), NAPI_AUTO_LENGTH, &message);
    napi_create_error(env, nullptr, message, &result);
    napi_reject_deferred(env, s->deferred, result);
  }
  for (napi_ref ref : {s->handleRef, s->xRef, s->yRef, s->orderRef}) napi_delete_reference(env, ref);
  napi_delete_async_work(env, s->work);
}

const uint8_t* typedArrayData(napi_env env, napi_value value, size_t* bytes, size_t* length = nullptr) {
  napi_typedarray_type type;
  size_t count = 0;
  void* data = nullptr;
  napi_value buffer;
  size_t offset = 0;
  if (napi_get_typedarray_info(env, value, &type, &count, &data, &buffer, &offset) != napi_ok) throw JsError{"expected a typed array"};
  size_t size = type == napi_float64_array || type == napi_bigint64_array ? 8 : type == napi_int32_array || type == napi_float32_array || type == napi_uint32_array ? 4 : 1;
  *bytes = count * size;
  if (length) *length = count;
  return static_cast<const uint8_t*>(data);
}

/**
 * trainSteps(handle, {x, xDtype, xRow, y, yDtype, yRow, order, batchSize, start, count, xFeed, yFeed,
 *   seedFeed?, seedBase?, feeds: [[op, i], tensor][], fetches: [op, i][], targets: op[]})
 *   -> Promise<Float32Array>: for each step its fetches, then the batch's row count.
 */
EXPORTED(trainSteps) {
  auto argv = args<2>(env, info);
  Engine* engine = getEngine(env, argv[0]);
  if (!engine->session) throw JsError{"startSession first"};
  if (engine->busy) throw JsError{"the engine is already training"};
  napi_value o = argv[1];
  auto s = std::make_unique<Steps>();
  s->engine = engine;
  size_t xBytes = 0, yBytes = 0, orderBytes = 0;
  napi_value x = getProp(env, o, "x"), y = getProp(env, o, "y"), order = getProp(env, o, "order");
  s->x = typedArrayData(env, x, &xBytes);
  s->y = typedArrayData(env, y, &yBytes);
  s->order = reinterpret_cast<const int32_t*>(typedArrayData(env, order, &orderBytes, &s->orderLength));
  s->xType = dtypeOf(getString(env, getProp(env, o, "xDtype")));
  s->yType = dtypeOf(getString(env, getProp(env, o, "yDtype")));
  s->xRow = getInts(env, getProp(env, o, "xRow"));
  s->yRow = getInts(env, getProp(env, o, "yRow"));
  s->xRowBytes = rowBytes(s->xRow, s->xType);
  s->yRowBytes = rowBytes(s->yRow, s->yType);
  size_t examples = xBytes / s->xRowBytes;
  if (examples * s->xRowBytes != xBytes || yBytes != examples * s->yRowBytes) throw JsError{"x and y do not hold the same number of whole examples"};
  for (size_t i = 0; i < s->orderLength; i++) {
    if (s->order[i] < 0 || static_cast<size_t>(s->order[i]) >= examples) throw JsError{"order holds an example index out of range"};
  }
  s->batchSize = static_cast<int64_t>(getNumber(env, getProp(env, o, "batchSize")));
  s->start = static_cast<int64_t>(getNumber(env, getProp(env, o, "start")));
  s->count = static_cast<int64_t>(getNumber(env, getProp(env, o, "count")));
  if (s->batchSize < 1) throw JsError{"batchSize must be >= 1"};
  s->xFeed = getOutput(env, engine, getProp(env, o, "xFeed"));
  s->yFeed = getOutput(env, engine, getProp(env, o, "yFeed"));
  s->hasSeed = hasProp(env, o, "seedFeed");
  if (s->hasSeed) {
    s->seedFeed = getOutput(env, engine, getProp(env, o, "seedFeed"));
    s->seedBase = static_cast<int64_t>(getNumber(env, getProp(env, o, "seedBase")));
  }
  getFeeds(env, engine, getProp(env, o, "feeds"), &s->extraFeeds, &s->extraValues);
  s->fetches = getOutputs(env, engine, getProp(env, o, "fetches"));
  s->targets = getOps(env, engine, getProp(env, o, "targets"));
  // Keep the handle and the arrays alive while the worker thread reads them.
  CHECK_NAPI(napi_create_reference(env, argv[0], 1, &s->handleRef));
  CHECK_NAPI(napi_create_reference(env, x, 1, &s->xRef));
  CHECK_NAPI(napi_create_reference(env, y, 1, &s->yRef));
  CHECK_NAPI(napi_create_reference(env, order, 1, &s->orderRef));
  napi_value promise, name;
  CHECK_NAPI(napi_create_promise(env, &s->deferred, &promise));
  CHECK_NAPI(napi_create_string_utf8(env, "tuneflow.trainSteps", NAPI_AUTO_LENGTH, &name));
  CHECK_NAPI(napi_create_async_work(env, nullptr, name, executeSteps, completeSteps, s.get(), &s->work));
  engine->busy = true;
  CHECK_NAPI(napi_queue_async_work(env, s->work));
  s.release();
  return promise;
}

/** close(handle): frees the session and the graph; the handle is unusable afterwards */
EXPORTED(close) {
  auto argv = args<1>(env, info);
  Engine* engine = getEngine(env, argv[0]);
  if (engine->busy) throw JsError{"the engine is training on another thread"};
  engine->close();
  return nullptr;
}

/** graphOps(handle) -> the number of ops in the graph */
EXPORTED(graphOps) {
  auto argv = args<1>(env, info);
  Engine* engine = getEngine(env, argv[0]);
  size_t position = 0;
  int count = 0;
  while (TF_GraphNextOperation(engine->graph, &position) != nullptr) count++;
  napi_value result;
  CHECK_NAPI(napi_create_int32(env, count, &result));
  return result;
}

/** version() -> TensorFlow's version string */
EXPORTED(version) {
  (void)info;
  napi_value result;
  CHECK_NAPI(napi_create_string_utf8(env, TF_Version(), NAPI_AUTO_LENGTH, &result));
  return result;
}

// ---- devices and build (GPU workers, `tuneflow doctor`) ---------------------------------------

napi_value stringValue(napi_env env, const char* text) {
  napi_value out;
  CHECK_NAPI(napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &out));
  return out;
}

/** devices(configProtoBytes) -> [{name, type, memoryBytes}]: what a session with this config places ops on */
EXPORTED(devices) {
  auto argv = args<1>(env, info);
  size_t bytes = 0;
  const uint8_t* config = typedArrayData(env, argv[0], &bytes);
  Status status;
  TF_SessionOptions* options = TF_NewSessionOptions();
  TF_SetConfig(options, config, bytes, status.s);
  TF_Graph* graph = TF_NewGraph();
  TF_Session* session = TF_GetCode(status.s) == TF_OK ? TF_NewSession(graph, options, status.s) : nullptr;
  TF_DeleteSessionOptions(options);
  TF_DeviceList* list = session ? TF_SessionListDevices(session, status.s) : nullptr;
  napi_value result = nullptr;
  if (list) {
    CHECK_NAPI(napi_create_array(env, &result));
    for (int i = 0, n = TF_DeviceListCount(list); i < n && TF_GetCode(status.s) == TF_OK; i++) {
      napi_value device, memory;
      CHECK_NAPI(napi_create_object(env, &device));
      CHECK_NAPI(napi_set_named_property(env, device, "name", stringValue(env, TF_DeviceListName(list, i, status.s))));
      CHECK_NAPI(napi_set_named_property(env, device, "type", stringValue(env, TF_DeviceListType(list, i, status.s))));
      CHECK_NAPI(napi_create_double(env, static_cast<double>(TF_DeviceListMemoryBytes(list, i, status.s)), &memory));
      CHECK_NAPI(napi_set_named_property(env, device, "memoryBytes", memory));
      CHECK_NAPI(napi_set_element(env, result, static_cast<uint32_t>(i), device));
    }
    TF_DeleteDeviceList(list);
  }
  if (session) {
    Status closing;
    TF_CloseSession(session, closing.s);
    TF_DeleteSession(session, closing.s);
  }
  TF_DeleteGraph(graph);
  checkStatus(status.s, "devices");
  return result;
}

/**
 * builtWithCuda() -> whether this TensorFlow is the CUDA build: it registers GPU kernels (MatMul's
 * here) whether or not a GPU is present. The kernel list is a serialized KernelList; a GPU kernel's
 * KernelDef holds device_type (field 2) = "GPU", bytes 0x12 0x03 'G' 'P' 'U': no protobuf library needed.
 */
EXPORTED(builtWithCuda) {
  (void)info;
  Status status;
  TF_Buffer* kernels = TF_GetRegisteredKernelsForOp("MatMul", status.s);
  checkStatus(status.s, "kernels");
  std::string list(static_cast<const char*>(kernels->data), kernels->length);
  TF_DeleteBuffer(kernels);
  const char gpu[] = {0x12, 0x03, 'G', 'P', 'U'};
  napi_value result;
  CHECK_NAPI(napi_get_boolean(env, list.find(std::string(gpu, sizeof(gpu))) != std::string::npos, &result));
  return result;
}

/** library() -> the file of the TensorFlow C library this process loaded (whichever loaded it first) */
EXPORTED(library) {
  (void)info;
  Dl_info where{};
  if (dladdr(reinterpret_cast<void*>(&TF_Version), &where) == 0 || where.dli_fname == nullptr) throw JsError{"dladdr found no file for TF_Version"};
  return stringValue(env, where.dli_fname);
}

/** probeLibrary(name) -> null when dlopen(name) succeeds (the library is then closed again), else dlerror()'s text */
EXPORTED(probeLibrary) {
  auto argv = args<1>(env, info);
  std::string name = getString(env, argv[0]);
  void* handle = dlopen(name.c_str(), RTLD_LAZY | RTLD_LOCAL);
  if (handle) {
    dlclose(handle);
    napi_value result;
    CHECK_NAPI(napi_get_null(env, &result));
    return result;
  }
  const char* error = dlerror();
  return stringValue(env, error ? error : "dlopen failed");
}

napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"newGraph", nullptr, newGraph, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"addOp", nullptr, addOp, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"numOutputs", nullptr, numOutputs, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"outputShape", nullptr, outputShape, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"addGradients", nullptr, addGradients, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"startSession", nullptr, startSession, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"run", nullptr, run, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"trainSteps", nullptr, trainSteps, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"close", nullptr, close, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"graphOps", nullptr, graphOps, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"version", nullptr, version, nullptr, nullptr, nullptr, napi_default, nullptr},
      // GPU workers and doctor
      {"devices", nullptr, devices, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"builtWithCuda", nullptr, builtWithCuda, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"library", nullptr, library, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"probeLibrary", nullptr, probeLibrary, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
