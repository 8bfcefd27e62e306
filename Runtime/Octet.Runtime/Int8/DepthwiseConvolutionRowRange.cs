namespace Octet.Runtime.Int8;

/// <summary>
/// A band of output rows of <see cref="DepthwiseConvolution"/>'s whole-layer kernel: what a work unit of a depthwise layer
/// split over a worker team computes. Rows are counted across images (row r is row r mod outputHeight of image
/// r / outputHeight); the band [firstRow, firstRow + rowCount) is written and nothing else, with the integers the
/// whole-layer call writes there.
/// <para>
/// A thin wrapper: each image's part of the band is one whole-layer call on a geometry of that many output rows whose
/// top padding is moved down by the rows skipped (padTop − firstRow · strideHeight, negative once the band starts below the
/// padding). The kernels compute input row oh · strideHeight − padTop for output row oh and test it against the input
/// height, so the band's rows read exactly the input rows (and padding) the whole layer's do. Each call prepares the
/// kernel's per-layer constants again (a few hundred nanoseconds), which a band of a layer large enough to split repays.
/// </para>
/// </summary>
public static partial class DepthwiseConvolution
{
    /// <summary>uint8 input, uint8 output; rows [<paramref name="firstRow"/>, <paramref name="firstRow"/> + <paramref name="rowCount"/>) of the layer.</summary>
    public static void FixedPointRows(ReadOnlySpan<byte> x, ReadOnlySpan<short> packedWeights, ReadOnlySpan<int> bias, ReadOnlySpan<int> multipliers, ReadOnlySpan<int> shifts, Span<byte> y,
        int batch, int inputHeight, int inputWidth, int channels, int outputHeight, int outputWidth, int kernelHeight, int kernelWidth,
        int strideHeight, int strideWidth, int dilationHeight, int dilationWidth, int padTop, int padLeft, int xZeroPoint, int yZeroPoint, int min, int max,
        int firstRow, int rowCount) =>
        Rows<byte, byte>(x, packedWeights, bias, multipliers, shifts, y, new Geometry(batch, inputHeight, inputWidth, channels, outputHeight, outputWidth,
            kernelHeight, kernelWidth, strideHeight, strideWidth, dilationHeight, dilationWidth, padTop, padLeft), xZeroPoint, yZeroPoint, min, max, firstRow, rowCount);

    /// <summary>int8 input, int8 output; rows [<paramref name="firstRow"/>, <paramref name="firstRow"/> + <paramref name="rowCount"/>) of the layer.</summary>
    public static void FixedPointRows(ReadOnlySpan<sbyte> x, ReadOnlySpan<short> packedWeights, ReadOnlySpan<int> bias, ReadOnlySpan<int> multipliers, ReadOnlySpan<int> shifts, Span<sbyte> y,
        int batch, int inputHeight, int inputWidth, int channels, int outputHeight, int outputWidth, int kernelHeight, int kernelWidth,
        int strideHeight, int strideWidth, int dilationHeight, int dilationWidth, int padTop, int padLeft, int xZeroPoint, int yZeroPoint, int min, int max,
        int firstRow, int rowCount) =>
        Rows<sbyte, sbyte>(x, packedWeights, bias, multipliers, shifts, y, new Geometry(batch, inputHeight, inputWidth, channels, outputHeight, outputWidth,
            kernelHeight, kernelWidth, strideHeight, strideWidth, dilationHeight, dilationWidth, padTop, padLeft), xZeroPoint, yZeroPoint, min, max, firstRow, rowCount);

    /// <summary>uint8 input, int8 output; rows [<paramref name="firstRow"/>, <paramref name="firstRow"/> + <paramref name="rowCount"/>) of the layer.</summary>
    public static void FixedPointRows(ReadOnlySpan<byte> x, ReadOnlySpan<short> packedWeights, ReadOnlySpan<int> bias, ReadOnlySpan<int> multipliers, ReadOnlySpan<int> shifts, Span<sbyte> y,
        int batch, int inputHeight, int inputWidth, int channels, int outputHeight, int outputWidth, int kernelHeight, int kernelWidth,
        int strideHeight, int strideWidth, int dilationHeight, int dilationWidth, int padTop, int padLeft, int xZeroPoint, int yZeroPoint, int min, int max,
        int firstRow, int rowCount) =>
        Rows<byte, sbyte>(x, packedWeights, bias, multipliers, shifts, y, new Geometry(batch, inputHeight, inputWidth, channels, outputHeight, outputWidth,
            kernelHeight, kernelWidth, strideHeight, strideWidth, dilationHeight, dilationWidth, padTop, padLeft), xZeroPoint, yZeroPoint, min, max, firstRow, rowCount);

    /// <summary>int8 input, uint8 output; rows [<paramref name="firstRow"/>, <paramref name="firstRow"/> + <paramref name="rowCount"/>) of the layer.</summary>
    public static void FixedPointRows(ReadOnlySpan<sbyte> x, ReadOnlySpan<short> packedWeights, ReadOnlySpan<int> bias, ReadOnlySpan<int> multipliers, ReadOnlySpan<int> shifts, Span<byte> y,
        int batch, int inputHeight, int inputWidth, int channels, int outputHeight, int outputWidth, int kernelHeight, int kernelWidth,
        int strideHeight, int strideWidth, int dilationHeight, int dilationWidth, int padTop, int padLeft, int xZeroPoint, int yZeroPoint, int min, int max,
        int firstRow, int rowCount) =>
        Rows<sbyte, byte>(x, packedWeights, bias, multipliers, shifts, y, new Geometry(batch, inputHeight, inputWidth, channels, outputHeight, outputWidth,
            kernelHeight, kernelWidth, strideHeight, strideWidth, dilationHeight, dilationWidth, padTop, padLeft), xZeroPoint, yZeroPoint, min, max, firstRow, rowCount);

    /// <summary>The band as one whole-layer call per image it touches (see the class summary).</summary>
    internal static void Rows<TX, TY>(ReadOnlySpan<TX> x, ReadOnlySpan<short> packed, ReadOnlySpan<int> bias, ReadOnlySpan<int> multipliers, ReadOnlySpan<int> shifts,
        Span<TY> y, Geometry g, int xZeroPoint, int yZeroPoint, int min, int max, int firstRow, int rowCount) where TX : unmanaged where TY : unmanaged
    {
        long rows = (long)g.Batch * g.OutputHeight;
        if (firstRow < 0 || rowCount < 0 || firstRow + (long)rowCount > rows)
            throw new ArgumentOutOfRangeException(nameof(rowCount), $"output rows [{firstRow}, {firstRow + (long)rowCount}) are not within the layer's {rows}");
        long inputImage = (long)g.InputHeight * g.InputWidth * g.Channels, outputRow = (long)g.OutputWidth * g.Channels;
        if (x.Length < g.Batch * inputImage || y.Length < rows * outputRow)
            throw new ArgumentException($"input has {x.Length} values and output {y.Length}; the geometry needs {g.Batch * inputImage} and {rows * outputRow}");
        int end = firstRow + rowCount;
        for (int row = firstRow; row < end;)
        {
            int image = row / g.OutputHeight, oh = row % g.OutputHeight;
            int count = Math.Min(end - row, g.OutputHeight - oh);
            var band = g with { Batch = 1, OutputHeight = count, PadTop = g.PadTop - oh * g.StrideHeight };
            FixedPoint(x.Slice((int)(image * inputImage), (int)inputImage), packed, bias, multipliers, shifts,
                y.Slice((int)(row * outputRow), (int)(count * outputRow)), band, xZeroPoint, yZeroPoint, min, max);
            row += count;
        }
    }
}
