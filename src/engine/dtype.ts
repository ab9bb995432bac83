/** Element types the engine builds graphs with. Names match onnxruntime-common's tensor types. */
export type DType = "float32" | "float64" | "int64" | "int32" | "bool";

/** TensorProto.DataType codes from onnx.proto. */
export const ONNX_DTYPE: Readonly<Record<DType, number>> = {
  float32: 1,
  int32: 6,
  int64: 7,
  bool: 9,
  float64: 11,
};

export const DTYPE_BYTES: Readonly<Record<DType, number>> = {
  float32: 4,
  int32: 4,
  int64: 8,
  bool: 1,
  float64: 8,
};

export function isFloat(dtype: DType): boolean {
  return dtype === "float32" || dtype === "float64";
}

/** Little-endian raw bytes of `values` in `dtype`, as TensorProto.raw_data expects. */
export function encodeRaw(values: ArrayLike<number> | ArrayLike<bigint>, dtype: DType): Uint8Array {
  // A typed array of the same element type is copied byte for byte (hosts are little-endian).
  const same =
    (dtype === "float32" && values instanceof Float32Array) ||
    (dtype === "float64" && values instanceof Float64Array) ||
    (dtype === "int32" && values instanceof Int32Array) ||
    (dtype === "int64" && values instanceof BigInt64Array);
  if (same) return new Uint8Array((values as Float32Array).slice().buffer);
  const n = values.length;
  const buf = new ArrayBuffer(n * DTYPE_BYTES[dtype]);
  const view = new DataView(buf);
  for (let i = 0; i < n; i++) {
    const v = values[i];
    switch (dtype) {
      case "float32":
        view.setFloat32(i * 4, Number(v), true);
        break;
      case "float64":
        view.setFloat64(i * 8, Number(v), true);
        break;
      case "int32":
        view.setInt32(i * 4, Number(v), true);
        break;
      case "int64":
        view.setBigInt64(i * 8, typeof v === "bigint" ? v : BigInt(Math.trunc(Number(v))), true);
        break;
      case "bool":
        view.setUint8(i, Number(v) ? 1 : 0);
        break;
    }
  }
  return new Uint8Array(buf);
}
