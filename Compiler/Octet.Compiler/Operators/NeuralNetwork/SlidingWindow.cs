using Octet.Compiler.Diagnostics;
using Octet.Compiler.Graph;

namespace Octet.Compiler.Operators.NeuralNetwork;

/// <summary>
/// Where a kernel window sits over the spatial axes of an <c>N x C x D1 x ... x Dn</c> tensor, as Conv,
/// MaxPool and AveragePool define it: kernel size, strides, dilations, the padding actually applied at each
/// end (after <c>auto_pad</c> is resolved), and the output size that follows.
/// </summary>
/// <remarks>
/// Output position <c>o</c> along an axis reads input positions <c>o * stride - padBegin + k * dilation</c>
/// for <c>k</c> in <c>[0, kernel)</c>; positions outside <c>[0, input)</c> are padding.
/// </remarks>
internal sealed class SlidingWindow
{
    /// <summary>The most spatial axes the reference kernels handle (1-D, 2-D and 3-D, like ONNX Runtime's CPU kernels).</summary>
    public const int MaxSpatialRank = 3;

    private SlidingWindow(int[] input, int[] output, int[] kernel, int[] strides, int[] dilations, int[] padBegin, int[] padEnd)
    {
        InputSize = input;
        OutputSize = output;
        Kernel = kernel;
        Strides = strides;
        Dilations = dilations;
        PadBegin = padBegin;
        PadEnd = padEnd;
    }

    public int SpatialRank => InputSize.Length;
    public int[] InputSize { get; }
    public int[] OutputSize { get; }
    public int[] Kernel { get; }
    public int[] Strides { get; }
    public int[] Dilations { get; }
    /// <summary>Padding before the first input element along each axis (as resolved, including auto_pad).</summary>
    public int[] PadBegin { get; }
    /// <summary>Padding after the last input element along each axis (as resolved, including auto_pad).</summary>
    public int[] PadEnd { get; }

    /// <summary>Span of input positions one window covers: <c>(kernel - 1) * dilation + 1</c>.</summary>
    public int Extent(int axis) => (Kernel[axis] - 1) * Dilations[axis] + 1;

    /// <summary>
    /// Resolves the window of a Conv or pooling node over input shape <paramref name="input"/> (rank 3 or more).
    /// </summary>
    /// <param name="kernelFromWeights">Conv: the spatial dims of W, which kernel_shape (if given) must match. Pools: null,
    /// and kernel_shape is required.</param>
    /// <param name="ceilMode">Pools with <c>ceil_mode=1</c>: round the output size up, dropping a last window that would
    /// start in the end padding.</param>
    public static SlidingWindow Resolve(Node node, Shape input, int[]? kernelFromWeights, bool ceilMode)
    {
        int rank = input.Rank - 2;
        if (rank < 1)
            throw OctetException.AtNode(node, $"input has shape {input}; expected N x C x D1 x ... (rank 3 or more)");
        if (rank > MaxSpatialRank)
            throw OctetException.AtNode(node, $"input has shape {input}: {rank} spatial axes; Octet supports 1 to {MaxSpatialRank}");
        var inputSize = new int[rank];
        for (int i = 0; i < rank; i++) inputSize[i] = input[i + 2];

        int[] kernel;
        var kernelAttribute = node.GetInts("kernel_shape");
        if (kernelFromWeights is not null)
        {
            kernel = kernelFromWeights;
            if (kernelAttribute is not null && !kernelAttribute.AsSpan().SequenceEqual(Array.ConvertAll(kernel, k => (long)k)))
                throw OctetException.AtNode(node,
                    $"kernel_shape [{string.Join(",", kernelAttribute)}] does not match the weights' spatial dims [{string.Join(",", kernel)}]");
        }
        else
        {
            if (kernelAttribute is null) throw OctetException.AtNode(node, "required attribute 'kernel_shape' is missing");
            kernel = ReadInts(node, "kernel_shape", rank, 1, minimum: 1);
        }
        foreach (var k in kernel)
            if (k < 1) throw OctetException.AtNode(node, $"kernel has a dimension of {k}; every dimension must be at least 1");

        var strides = ReadInts(node, "strides", rank, 1, minimum: 1);
        var dilations = ReadInts(node, "dilations", rank, 1, minimum: 1);
        var pads = ReadInts(node, "pads", 2 * rank, 0, minimum: 0);
        var padBegin = pads[..rank];
        var padEnd = pads[rank..];
        var output = new int[rank];

        string autoPad = ReadAutoPad(node);
        for (int i = 0; i < rank; i++)
        {
            long extent = (long)(kernel[i] - 1) * dilations[i] + 1;
            if (extent > int.MaxValue)
                throw OctetException.AtNode(node, $"kernel extent along spatial axis {i} ({kernel[i]} taps, dilation {dilations[i]}) is too large");
            switch (autoPad)
            {
                case "SAME_UPPER":
                case "SAME_LOWER":
                {
                    // Output covers every stride step of the input; the padding needed to make that happen
                    // is split evenly, the odd element going to the end (UPPER) or the beginning (LOWER).
                    int size = (int)((inputSize[i] + (long)strides[i] - 1) / strides[i]);
                    long total = Math.Max(0, (long)(size - 1) * strides[i] + extent - inputSize[i]);
                    long small = total / 2, large = total - small;
                    padBegin[i] = (int)(autoPad == "SAME_UPPER" ? small : large);
                    padEnd[i] = (int)(autoPad == "SAME_UPPER" ? large : small);
                    output[i] = size;
                    break;
                }
                case "VALID":
                    padBegin[i] = padEnd[i] = 0;
                    output[i] = CountWindows(node, i, inputSize[i], 0, 0, extent, strides[i], ceilMode);
                    break;
                default:
                    output[i] = CountWindows(node, i, inputSize[i], padBegin[i], padEnd[i], extent, strides[i], ceilMode);
                    break;
            }
        }
        return new SlidingWindow(inputSize, output, kernel, strides, dilations, padBegin, padEnd);
    }

    private static int CountWindows(Node node, int axis, int input, int padBegin, int padEnd, long extent, int stride, bool ceilMode)
    {
        long span = (long)input + padBegin + padEnd - extent;
        if (span < 0)
            throw OctetException.AtNode(node,
                $"along spatial axis {axis} the window ({extent} input positions) is larger than the padded input ({input} + {padBegin} + {padEnd})");
        long size = (ceilMode ? (span + stride - 1) / stride : span / stride) + 1;
        // With ceil_mode a last window may begin beyond the input, inside the end padding: ONNX drops it.
        if (ceilMode && (size - 1) * stride >= (long)input + padBegin) size--;
        return (int)size;
    }

    /// <summary>The auto_pad attribute, validated; an empty string (some old exporters write it) means NOTSET.</summary>
    public static string ReadAutoPad(Node node)
    {
        string autoPad = node.GetString("auto_pad", "NOTSET");
        if (autoPad.Length == 0) return "NOTSET";
        if (autoPad is not ("NOTSET" or "SAME_UPPER" or "SAME_LOWER" or "VALID"))
            throw OctetException.AtNode(node, $"auto_pad \"{autoPad}\" is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID");
        return autoPad;
    }

    /// <summary>
    /// An ints attribute that must have <paramref name="count"/> values, each at least <paramref name="minimum"/>
    /// and small enough for an int; <paramref name="defaultValue"/> for every element when absent.
    /// </summary>
    public static int[] ReadInts(Node node, string name, int count, int defaultValue, long minimum)
    {
        var values = node.GetInts(name);
        if (values is null) return Enumerable.Repeat(defaultValue, count).ToArray();
        if (values.Length != count)
            throw OctetException.AtNode(node, $"attribute '{name}' has {values.Length} values [{string.Join(",", values)}]; expected {count}");
        var result = new int[count];
        for (int i = 0; i < count; i++)
        {
            if (values[i] < minimum || values[i] > int.MaxValue / 4)
                throw OctetException.AtNode(node, $"attribute '{name}' value {values[i]} is out of range (must be at least {minimum})");
            result[i] = (int)values[i];
        }
        return result;
    }

    /// <summary>
    /// The window with leading unit axes added so that it has exactly three spatial axes: a 1-D or 2-D window
    /// is a 3-D window whose first axes have size 1, kernel 1 and no padding. Lets one loop nest serve all ranks.
    /// </summary>
    public SlidingWindow As3D()
    {
        int extra = MaxSpatialRank - SpatialRank;
        if (extra == 0) return this;
        int[] Lift(int[] values, int fill) => Enumerable.Repeat(fill, extra).Concat(values).ToArray();
        return new SlidingWindow(Lift(InputSize, 1), Lift(OutputSize, 1), Lift(Kernel, 1), Lift(Strides, 1),
            Lift(Dilations, 1), Lift(PadBegin, 0), Lift(PadEnd, 0));
    }

    /// <summary>
    /// The output positions <c>[first, last)</c> along <paramref name="axis"/> for which kernel tap <paramref name="tap"/>
    /// reads inside the input (not padding). Hoists the bounds check out of the inner loops.
    /// </summary>
    public (int First, int Last) ValidOutputRange(int axis, int tap)
    {
        // Input position = o * stride + offset; need 0 <= position < input.
        long offset = (long)tap * Dilations[axis] - PadBegin[axis];
        int stride = Strides[axis];
        long first = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
        long last = InputSize[axis] - 1 - offset < 0 ? 0 : (InputSize[axis] - 1 - offset) / stride + 1;
        last = Math.Min(last, OutputSize[axis]);
        return ((int)Math.Min(first, last), (int)last);
    }

    /// <summary>Taps in one window: the most <see cref="InputTaps"/> can write.</summary>
    public int TapCount => Kernel.Aggregate(1, (a, b) => a * b);

    /// <summary>
    /// For a 3-D window (see <see cref="As3D"/>): the flat offsets, within one input plane of
    /// d × h × w elements, of the taps of output position (od, oh, ow) that fall inside the input — padding
    /// taps are skipped. Returns how many offsets were written. The one place pooling kernels walk a window.
    /// </summary>
    public int InputTaps(int od, int oh, int ow, Span<int> offsets)
    {
        int inD = InputSize[0], inH = InputSize[1], inW = InputSize[2];
        int count = 0;
        for (int kd = 0; kd < Kernel[0]; kd++)
        {
            int id = od * Strides[0] - PadBegin[0] + kd * Dilations[0];
            if ((uint)id >= (uint)inD) continue;
            for (int kh = 0; kh < Kernel[1]; kh++)
            {
                int ih = oh * Strides[1] - PadBegin[1] + kh * Dilations[1];
                if ((uint)ih >= (uint)inH) continue;
                for (int kw = 0; kw < Kernel[2]; kw++)
                {
                    int iw = ow * Strides[2] - PadBegin[2] + kw * Dilations[2];
                    if ((uint)iw >= (uint)inW) continue;
                    offsets[count++] = (id * inH + ih) * inW + iw;
                }
            }
        }
        return count;
    }

    /// <summary>
    /// For each output position along <paramref name="axis"/>, how many taps an average divides by: those at
    /// input positions in <c>[0, input)</c>, or with <paramref name="countPadding"/> in <c>[−padBegin, input + padEnd)</c>.
    /// A window is the product of its per-axis tap sets, so its count is the product of these.
    /// </summary>
    public int[] TapCounts(int axis, bool countPadding)
    {
        int low = countPadding ? -PadBegin[axis] : 0;
        int high = InputSize[axis] + (countPadding ? PadEnd[axis] : 0);
        var counts = new int[OutputSize[axis]];
        for (int o = 0; o < counts.Length; o++)
            for (int k = 0; k < Kernel[axis]; k++)
            {
                int position = o * Strides[axis] - PadBegin[axis] + k * Dilations[axis];
                if (position >= low && position < high) counts[o]++;
            }
        return counts;
    }
}
