using Octet.Compiler.Diagnostics;
using Octet.Compiler.Graph;

namespace Octet.Compiler.Operators.NeuralNetwork;

/// <summary>
/// ONNX Pad in modes constant, reflect, edge and wrap (wrap since version 19), for every element type.
/// The pads are an attribute before version 11 (<c>paddings</c> in version 1, <c>pads</c> in 2) and an int64
/// input from 11, with the fill value as attribute <c>value</c> or optional input <c>constant_value</c>, and
/// (from 18) an optional <c>axes</c> input naming the axes the pads apply to.
/// </summary>
/// <remarks>
/// Pads are <c>[begin_0, ..., begin_k, end_0, ..., end_k]</c>. A negative pad removes elements; as in ONNX
/// Runtime, removal happens first and reflect/edge/wrap read from what remains.
/// </remarks>
public sealed class Pad : OperatorDefinition
{
    public override string OpType => "Pad";
    public override IReadOnlyList<int> SinceVersions { get; } = [1, 2, 11, 13, 18, 19, 21, 23, 24, 25];

    public override void InferOutputs(InferenceContext context)
    {
        var type = context.InputType(0);
        if (!type.IsSupported()) throw context.Error($"input has element type {type.OnnxName()}, which Octet does not support");
        var x = context.InputShape(0);
        var node = context.Node;
        string mode = ReadMode(node);
        int version = node.OpsetVersion;

        Tensor? pads = null, axes = null;
        if (version >= 11)
        {
            context.ExpectType(1, ElementType.Int64);
            pads = context.RequireConstantInput(1, "pads");
            if (context.HasInput(2))
            {
                if (context.InputType(2) != type)
                    throw context.Error($"constant_value is {context.InputType(2).OnnxName()} but the data is {type.OnnxName()}; they must match");
                if (context.InputShape(2).ElementCount != 1)
                    throw context.Error($"constant_value has shape {context.InputShape(2)}; expected a scalar (one element)");
            }
            if (version >= 18 && context.HasInput(3))
            {
                context.ExpectType(3, ElementType.Int32, ElementType.Int64);
                axes = context.RequireConstantInput(3, "axes");
            }
        }
        var (begin, end) = ReadPads(node, x, pads, axes);
        var output = PaddedShape(node, x, begin, end, mode);
        context.SetOutput(0, type, output);
    }

    private static string ReadMode(Node node)
    {
        string mode = node.GetString("mode", "constant");
        if (mode is "constant" or "reflect" or "edge" || (mode == "wrap" && node.OpsetVersion >= 19)) return mode;
        throw OctetException.AtNode(node, $"mode \"{mode}\" is not one of constant, reflect, edge{(node.OpsetVersion >= 19 ? ", wrap" : "")}");
    }

    /// <summary>Per axis of X: elements added before and after (negative: removed).</summary>
    private static (long[] Begin, long[] End) ReadPads(Node node, Shape x, Tensor? padsInput, Tensor? axesInput)
    {
        int rank = x.Rank;
        long[] pads = padsInput is not null
            ? padsInput.ToInt64Array()
            : node.GetInts(node.OpsetVersion < 2 ? "paddings" : "pads")
              ?? throw OctetException.AtNode(node, $"required attribute '{(node.OpsetVersion < 2 ? "paddings" : "pads")}' is missing");

        var axes = Enumerable.Range(0, rank).ToArray();
        if (axesInput is not null)
        {
            var values = axesInput.ToInt64Array();
            axes = new int[values.Length];
            for (int i = 0; i < values.Length; i++)
            {
                if (values[i] < -rank || values[i] >= rank)
                    throw OctetException.AtNode(node, $"axes value {values[i]} is out of range for data of shape {x}");
                axes[i] = (int)(values[i] < 0 ? values[i] + rank : values[i]);
            }
            if (axes.Distinct().Count() != axes.Length)
                throw OctetException.AtNode(node, $"axes [{string.Join(",", values)}] repeat an axis");
        }
        if (pads.Length != 2 * axes.Length)
            throw OctetException.AtNode(node, $"pads has {pads.Length} values; expected {2 * axes.Length} (begin and end for each of {axes.Length} axes of data {x})");

        var begin = new long[rank];
        var end = new long[rank];
        for (int i = 0; i < axes.Length; i++)
        {
            begin[axes[i]] = pads[i];
            end[axes[i]] = pads[axes.Length + i];
        }
        return (begin, end);
    }

    private static Shape PaddedShape(Node node, Shape x, long[] begin, long[] end, string mode)
    {
        var dims = new int[x.Rank];
        for (int i = 0; i < x.Rank; i++)
        {
            long size = x[i] + begin[i] + end[i];
            if (size < 0 || size > Shape.MaxElements)
                throw OctetException.AtNode(node, $"pads {begin[i]} and {end[i]} on axis {i} (size {x[i]}) give an output size of {size}");
            long kept = x[i] - Math.Max(0, -begin[i]) - Math.Max(0, -end[i]);
            if (mode != "constant" && kept <= 0 && size > 0)
                throw OctetException.AtNode(node, $"mode {mode} cannot pad axis {i}: no input elements remain to copy from (size {x[i]}, pads {begin[i]}, {end[i]})");
            dims[i] = (int)size;
        }
        return OutputShape.Create(node, dims);
    }

    public override void Execute(KernelContext context)
    {
        var node = context.Node;
        var data = context.Input(0);
        string mode = ReadMode(node);
        bool fromInputs = node.OpsetVersion >= 11;
        var (begin, end) = ReadPads(node, data.Shape,
            fromInputs ? context.Input(1) : null,
            fromInputs && node.OpsetVersion >= 18 ? context.OptionalInput(3) : null);
        var outputShape = PaddedShape(node, data.Shape, begin, end, mode);

        // For each axis and output position, the input position it copies (or -1: the fill value).
        var sources = new int[data.Shape.Rank][];
        for (int axis = 0; axis < sources.Length; axis++)
            sources[axis] = SourcePositions(data.Shape[axis], outputShape[axis], begin[axis], end[axis], mode);

        var fill = fromInputs ? context.OptionalInput(2) : null;
        float attributeValue = node.GetFloat("value", 0f);
        // Dispatch on the element type, not the array's runtime type: the CLR lets a byte[] pass as sbyte[].
        var result = data.ElementType switch
        {
            ElementType.Float32 => Tensor.Create(outputShape, Fill(data.As<float>(), data.Shape, outputShape, sources, fill?.As<float>()[0] ?? attributeValue)),
            ElementType.Int8 => Tensor.Create(outputShape, Fill(data.As<sbyte>(), data.Shape, outputShape, sources, fill?.As<sbyte>()[0] ?? (sbyte)attributeValue)),
            ElementType.UInt8 => Tensor.Create(outputShape, Fill(data.As<byte>(), data.Shape, outputShape, sources, fill?.As<byte>()[0] ?? (byte)attributeValue)),
            ElementType.Int32 => Tensor.Create(outputShape, Fill(data.As<int>(), data.Shape, outputShape, sources, fill?.As<int>()[0] ?? (int)attributeValue)),
            ElementType.Int64 => Tensor.Create(outputShape, Fill(data.As<long>(), data.Shape, outputShape, sources, fill?.As<long>()[0] ?? (long)attributeValue)),
            ElementType.Bool => Tensor.Create(outputShape, Fill(data.As<bool>(), data.Shape, outputShape, sources, fill?.As<bool>()[0] ?? attributeValue != 0)),
            _ => throw context.Error($"element type {data.ElementType.OnnxName()} is not supported"),
        };
        context.SetOutput(0, result);
    }

    private static int[] SourcePositions(int inLength, int outLength, long begin, long end, string mode)
    {
        // Negative pads first crop the input to [keptStart, keptStart + kept).
        long keptStart = Math.Max(0, -begin);
        long kept = inLength - keptStart - Math.Max(0, -end);
        long added = Math.Max(0, begin);
        var map = new int[outLength];
        for (int o = 0; o < outLength; o++)
        {
            long p = o - added; // position relative to the kept range
            if (p < 0 || p >= kept)
            {
                switch (mode)
                {
                    case "constant":
                        map[o] = -1;
                        continue;
                    case "edge":
                        p = Math.Clamp(p, 0, kept - 1);
                        break;
                    case "wrap":
                        p = ((p % kept) + kept) % kept;
                        break;
                    default: // reflect about the first and last kept elements, repeating as far as needed
                        if (kept == 1) { p = 0; break; }
                        long period = 2 * (kept - 1);
                        p = ((p % period) + period) % period;
                        if (p >= kept) p = period - p;
                        break;
                }
            }
            map[o] = (int)(keptStart + p);
        }
        return map;
    }

    private static T[] Fill<T>(T[] input, Shape inShape, Shape outShape, int[][] sources, T fillValue)
    {
        int rank = inShape.Rank;
        var result = new T[outShape.ElementCount];
        if (result.Length == 0) return result;
        if (rank == 0) { result[0] = input[0]; return result; }

        var inStrides = inShape.Strides();
        var index = new int[rank];
        int last = rank - 1;
        int rowLength = outShape[last];
        var lastSources = sources[last];
        for (int rowStart = 0; rowStart < result.Length; rowStart += rowLength)
        {
            // Source offset of the row from the outer axes, or -1 if any of them is padding.
            int offset = 0;
            for (int axis = 0; axis < last && offset >= 0; axis++)
            {
                int source = sources[axis][index[axis]];
                offset = source < 0 ? -1 : offset + source * inStrides[axis];
            }
            for (int i = 0; i < rowLength; i++)
                result[rowStart + i] = offset < 0 || lastSources[i] < 0 ? fillValue : input[offset + lastSources[i]];

            // Advance the outer multi-index like an odometer.
            for (int axis = last - 1; axis >= 0; axis--)
            {
                if (++index[axis] < outShape[axis]) break;
                index[axis] = 0;
            }
        }
        return result;
    }
}
