// The messages of onnx.proto that the reader walks, each field declared once: number, name and
// type (github.com/onnx/onnx/blob/main/onnx/onnx.proto). Handlers switch on these names.
import { protoMessage } from './protobuf';

export const ModelProto = protoMessage('ModelProto', {
  ir_version: [1, 'int64'],
  producer_name: [2, 'string'],
  producer_version: [3, 'string'],
  domain: [4, 'string'],
  model_version: [5, 'int64'],
  doc_string: [6, 'string'],
  graph: [7, 'message'],
  opset_import: [8, 'message'],
  metadata_props: [14, 'message'],
  training_info: [20, 'message'],
  functions: [25, 'message'],
  configuration: [26, 'message'],
});

export const GraphProto = protoMessage('GraphProto', {
  node: [1, 'message'],
  name: [2, 'string'],
  initializer: [5, 'message'],
  doc_string: [10, 'string'],
  input: [11, 'message'],
  output: [12, 'message'],
  value_info: [13, 'message'],
  quantization_annotation: [14, 'message'],
  sparse_initializer: [15, 'message'],
  metadata_props: [16, 'message'],
});

export const NodeProto = protoMessage('NodeProto', {
  input: [1, 'string'],
  output: [2, 'string'],
  name: [3, 'string'],
  op_type: [4, 'string'],
  attribute: [5, 'message'],
  doc_string: [6, 'string'],
  domain: [7, 'string'],
  overload: [8, 'string'],
  metadata_props: [9, 'message'],
});

export const AttributeProto = protoMessage('AttributeProto', {
  name: [1, 'string'],
  f: [2, 'float'],
  i: [3, 'int64'],
  s: [4, 'bytes'],
  t: [5, 'message'],
  g: [6, 'message'],
  floats: [7, 'repeated float'],
  ints: [8, 'repeated int64'],
  strings: [9, 'bytes'],
  tensors: [10, 'message'],
  graphs: [11, 'message'],
  doc_string: [13, 'string'],
  tp: [14, 'message'],
  type_protos: [15, 'message'],
  type: [20, 'int32'],
  ref_attr_name: [21, 'string'],
  sparse_tensor: [22, 'message'],
  sparse_tensors: [23, 'message'],
});

export const FunctionProto = protoMessage('FunctionProto', {
  name: [1, 'string'],
  input: [4, 'string'],
  output: [5, 'string'],
  attribute: [6, 'string'],
  node: [7, 'message'],
  doc_string: [8, 'string'],
  opset_import: [9, 'message'],
  domain: [10, 'string'],
  attribute_proto: [11, 'message'],
  value_info: [12, 'message'],
  overload: [13, 'string'],
  metadata_props: [14, 'message'],
});

export const OperatorSetIdProto = protoMessage('OperatorSetIdProto', {
  domain: [1, 'string'],
  version: [2, 'int64'],
});

export const TensorProto = protoMessage('TensorProto', {
  dims: [1, 'repeated int64'],
  data_type: [2, 'int32'],
  segment: [3, 'message'],
  float_data: [4, 'repeated float'],
  int32_data: [5, 'repeated int32'],
  string_data: [6, 'bytes'],
  int64_data: [7, 'repeated int64'],
  name: [8, 'string'],
  raw_data: [9, 'bytes'],
  double_data: [10, 'repeated double'],
  uint64_data: [11, 'repeated uint64'],
  doc_string: [12, 'string'],
  external_data: [13, 'message'],
  data_location: [14, 'int32'],
  metadata_props: [16, 'message'],
});

export const SparseTensorProto = protoMessage('SparseTensorProto', {
  values: [1, 'message'],
  indices: [2, 'message'],
  dims: [3, 'repeated int64'],
});

export const StringStringEntryProto = protoMessage('StringStringEntryProto', {
  key: [1, 'string'],
  value: [2, 'string'],
});

export const ValueInfoProto = protoMessage('ValueInfoProto', {
  name: [1, 'string'],
  type: [2, 'message'],
  doc_string: [3, 'string'],
  metadata_props: [4, 'message'],
});

export const TypeProto = protoMessage('TypeProto', {
  tensor_type: [1, 'message'],
  sequence_type: [4, 'message'],
  map_type: [5, 'message'],
  denotation: [6, 'string'],
  sparse_tensor_type: [8, 'message'],
  optional_type: [9, 'message'],
});

/** TypeProto.Tensor, and TypeProto.SparseTensor, which has the same fields. */
export const TypeProtoTensor = protoMessage('TypeProto.Tensor', {
  elem_type: [1, 'int32'],
  shape: [2, 'message'],
});

export const TypeProtoSequence = protoMessage('TypeProto.Sequence', { elem_type: [1, 'message'] });

export const TypeProtoOptional = protoMessage('TypeProto.Optional', { elem_type: [1, 'message'] });

export const TypeProtoMap = protoMessage('TypeProto.Map', {
  key_type: [1, 'int32'],
  value_type: [2, 'message'],
});

export const TensorShapeProto = protoMessage('TensorShapeProto', { dim: [1, 'message'] });

export const TensorShapeProtoDimension = protoMessage('TensorShapeProto.Dimension', {
  dim_value: [1, 'int64'],
  dim_param: [2, 'string'],
  denotation: [3, 'string'],
});
