using Octet.Compiler.Diagnostics;
using Octet.Compiler.Graph;

namespace Octet.Compiler.Operators.Reduction;

/// <summary>
/// What ReduceSum, ReduceMean, ReduceMax and ReduceMin share: which axes are reduced, the output shape,
/// and the walk over the input. The axes are an attribute until the version named by
/// <see cref="AxesInputSince"/> and an optional int64 input from then on, where
/// <c>noop_with_empty_axes=1</c> turns "no axes" from "all axes" into "no reduction".
/// </summary>
/// <remarks>
/// Values accumulate in double for float32 inputs and in 64-bit integers for integer (and bool) inputs, and
/// are converted back at the end: integer sums wrap like numpy's, integer means truncate toward zero.
/// Reducing an empty set gives the reduction's identity (sum 0, max -inf or the type's minimum, min the
/// opposite) and, for the mean, NaN (0 for integers).
/// </remarks>
public abstract class Reduction : OperatorDefinition
{
    /// <summary>The first version that takes axes as an input instead of an attribute.</summary>
    protected abstract int AxesInputSince { get; }

    /// <summary>Element types the op accepts at <paramref name="version"/>.</summary>
    protected abstract ElementType[] AcceptedTypes(int version);

    // The accumulation, for float (double) and integer (long) inputs.
    protected abstract double Identity { get; }
    protected abstract long IntegerIdentity(ElementType type);
    protected abstract double Combine(double accumulator, double value);
    protected abstract long Combine(long accumulator, long value);
    protected virtual double Finish(double accumulator, long count) => accumulator;
    protected virtual long Finish(long accumulator, long count) => accumulator;

    public override void InferOutputs(InferenceContext context)
    {
        context.ExpectType(0, AcceptedTypes(context.Node.OpsetVersion));
        Tensor? axes = null;
        if (context.Node.OpsetVersion >= AxesInputSince && context.HasInput(1))
        {
            context.ExpectType(1, ElementType.Int64);
            axes = context.RequireConstantInput(1, "axes");
        }
        var reduced = ReducedAxes(context.Node, context.InputShape(0), axes);
        context.SetOutput(0, context.InputType(0), OutputShape(context.Node, context.InputShape(0), reduced));
    }

    /// <summary>Which axes of <paramref name="x"/> are reduced.</summary>
    private bool[] ReducedAxes(Node node, Shape x, Tensor? axesInput)
    {
        int rank = x.Rank;
        long[]? axes;
        bool noopWhenEmpty = false;
        if (node.OpsetVersion >= AxesInputSince)
        {
            axes = axesInput?.ToInt64Array();
            long noop = node.GetInt("noop_with_empty_axes", 0);
            if (noop is not (0 or 1)) throw OctetException.AtNode(node, $"noop_with_empty_axes={noop}; expected 0 or 1");
            noopWhenEmpty = noop == 1;
        }
        else
        {
            axes = node.GetInts("axes");
        }

        var reduced = new bool[rank];
        if (axes is null || axes.Length == 0)
        {
            if (!noopWhenEmpty) Array.Fill(reduced, true);
            return reduced;
        }
        foreach (var a in axes)
        {
            if (a < -rank || a >= rank)
                throw OctetException.AtNode(node, $"axis {a} is out of range for input of shape {x} (rank {rank})");
            int axis = (int)(a < 0 ? a + rank : a);
            if (reduced[axis]) throw OctetException.AtNode(node, $"axes [{string.Join(",", axes)}] name axis {axis} twice");
            reduced[axis] = true;
        }
        return reduced;
    }

    private static bool KeepDims(Node node)
    {
        long keep = node.GetInt("keepdims", 1);
        if (keep is not (0 or 1)) throw OctetException.AtNode(node, $"keepdims={keep}; expected 0 or 1");
        return keep == 1;
    }

    private static Shape OutputShape(Node node, Shape x, bool[] reduced)
    {
        bool keep = KeepDims(node);
        var dims = new List<int>();
        for (int i = 0; i < x.Rank; i++)
        {
            if (!reduced[i]) dims.Add(x[i]);
            else if (keep) dims.Add(1);
        }
        return new Shape(dims.ToArray());
    }

    public override void Execute(KernelContext context)
    {
        var xTensor = context.Input(0);
        var x = xTensor.Shape;
        var axes = context.Node.OpsetVersion >= AxesInputSince ? context.OptionalInput(1) : null;
        var reduced = ReducedAxes(context.Node, x, axes);
        var outputShape = OutputShape(context.Node, x, reduced);

        // Flat output index of each input element: walk the input with the output strides of the kept
        // axes (reduced axes contribute nothing).
        var strides = new int[x.Rank];
        int stride = 1;
        for (int i = x.Rank - 1; i >= 0; i--)
        {
            if (reduced[i]) continue;
            strides[i] = stride;
            stride *= x[i];
        }
        long outputCount = outputShape.ElementCount;
        long count = outputCount == 0 ? 0 : xTensor.ElementCount / outputCount;
        var target = TargetIndices(x, strides);

        Tensor result;
        if (xTensor.ElementType == ElementType.Float32)
        {
            var floats = xTensor.As<float>();
            var accumulators = new double[outputCount];
            Array.Fill(accumulators, Identity);
            for (int i = 0; i < floats.Length; i++) accumulators[target[i]] = Combine(accumulators[target[i]], floats[i]);
            result = Tensor.Create(outputShape, Array.ConvertAll(accumulators, a => (float)Finish(a, count)));
        }
        else
        {
            var type = xTensor.ElementType;
            var accumulators = new long[outputCount];
            Array.Fill(accumulators, IntegerIdentity(type));
            var values = ToInt64(xTensor);
            for (int i = 0; i < values.Length; i++) accumulators[target[i]] = Combine(accumulators[target[i]], values[i]);
            var finished = Array.ConvertAll(accumulators, a => Finish(a, count));
            result = type switch
            {
                ElementType.Int64 => Tensor.Create(outputShape, finished),
                ElementType.Int32 => Tensor.Create(outputShape, Array.ConvertAll(finished, v => unchecked((int)v))),
                ElementType.Int8 => Tensor.Create(outputShape, Array.ConvertAll(finished, v => unchecked((sbyte)v))),
                ElementType.UInt8 => Tensor.Create(outputShape, Array.ConvertAll(finished, v => unchecked((byte)v))),
                ElementType.Bool => Tensor.Create(outputShape, Array.ConvertAll(finished, v => v != 0)),
                _ => throw context.Error($"element type {type.OnnxName()} is not supported"),
            };
        }
        context.SetOutput(0, result);
    }

    /// <summary>
    /// The values of an integer or bool tensor widened to int64. Dispatches on the element type: the CLR lets a
    /// byte[] pass as an sbyte[], so matching on array types could misread uint8 data.
    /// </summary>
    private static long[] ToInt64(Tensor tensor) => tensor.ElementType switch
    {
        ElementType.Int64 => tensor.As<long>(),
        ElementType.Int32 => Array.ConvertAll(tensor.As<int>(), v => (long)v),
        ElementType.Int8 => Array.ConvertAll(tensor.As<sbyte>(), v => (long)v),
        ElementType.UInt8 => Array.ConvertAll(tensor.As<byte>(), v => (long)v),
        ElementType.Bool => Array.ConvertAll(tensor.As<bool>(), v => v ? 1L : 0L),
        _ => throw new InvalidOperationException($"not an integer tensor: {tensor}"),
    };

    /// <summary>For each input element (row-major), the flat index of the output element it reduces into.</summary>
    private static int[] TargetIndices(Shape x, int[] strides)
    {
        var target = new int[x.ElementCount];
        var index = new int[x.Rank];
        int offset = 0;
        for (int flat = 0; flat < target.Length; flat++)
        {
            target[flat] = offset;
            for (int axis = x.Rank - 1; axis >= 0; axis--)
            {
                index[axis]++;
                offset += strides[axis];
                if (index[axis] < x[axis]) break;
                offset -= strides[axis] * index[axis];
                index[axis] = 0;
            }
        }
        return target;
    }
}
