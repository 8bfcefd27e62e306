namespace Octet.Samples.AotClassifier;

/// <summary>
/// Reads the float32 data of an ONNX TensorProto file (the <c>input_0.pb</c> files of the ONNX model zoo's
/// test data). Just enough protobuf for that: field 2 (data_type), field 4 (float_data, packed) and field 9
/// (raw_data, little-endian); other fields are skipped. The app needs no protobuf library, so it stays small
/// and trims cleanly.
/// </summary>
internal static class TensorFile
{
    private const int FloatType = 1;

    public static float[] ReadFloats(string path, int expectedCount)
    {
        byte[] bytes = File.ReadAllBytes(path);
        int position = 0;
        float[]? values = null;
        long dataType = FloatType;
        while (position < bytes.Length)
        {
            ulong key = ReadVarint(bytes, ref position, path);
            int field = (int)(key >> 3), wireType = (int)(key & 7);
            switch (wireType)
            {
                case 0:
                    ulong number = ReadVarint(bytes, ref position, path);
                    if (field == 2) dataType = (long)number;
                    break;
                case 1:
                    position += 8;
                    break;
                case 5:
                    position += 4;
                    break;
                case 2:
                    int length = checked((int)ReadVarint(bytes, ref position, path));
                    if (length < 0 || position + length > bytes.Length) throw new InvalidDataException($"{path}: a field runs past the end of the file");
                    if (field is 4 or 9)
                    {
                        if (length % 4 != 0) throw new InvalidDataException($"{path}: tensor data of {length} bytes is not a whole number of float32 values");
                        values = new float[length / 4];
                        for (int i = 0; i < values.Length; i++) values[i] = BitConverter.ToSingle(bytes, position + 4 * i);
                    }
                    position += length;
                    break;
                default:
                    throw new InvalidDataException($"{path}: not an ONNX tensor file (protobuf wire type {wireType})");
            }
        }
        if (dataType != FloatType) throw new InvalidDataException($"{path}: the tensor's element type is {dataType}, not float32");
        if (values is null) throw new InvalidDataException($"{path}: the tensor has no float data");
        if (values.Length != expectedCount) throw new InvalidDataException($"{path}: {values.Length} values; the model takes {expectedCount}");
        return values;
    }

    private static ulong ReadVarint(byte[] bytes, ref int position, string path)
    {
        ulong value = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            if (position >= bytes.Length) throw new InvalidDataException($"{path}: the file ends inside a number");
            byte b = bytes[position++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80) return value;
        }
        throw new InvalidDataException($"{path}: a number longer than 10 bytes");
    }
}
