using System.Numerics;
using Octet.Compiler.Graph;

namespace Octet.Compiler.Operators.Quantization.Contrib;

/// <summary>
/// com.microsoft QLinearConcat: Concat of quantized tensors with their own scales and zero points into one
/// output quantization. Inputs Y_scale, Y_zero_point, then (X_i, X_i_scale, X_i_zero_point) for each
/// tensor; attribute axis (required). Every X_i, its zero point and Y_zero_point share one type, int8 or
/// uint8; scales and zero points are per tensor; the X_i agree on every axis but <c>axis</c>.
/// </summary>
/// <remarks>
/// Each input element is requantized as <c>Y = saturate(round_half_to_even((X - X_zp) * X_scale / Y_scale) +
/// Y_zp)</c> in float32. Where an input's scale and zero point equal the output's this gives the input
/// back exactly (the float32 error of <c>q * s / s</c> stays far below one half for |q| ≤ 255), as ONNX
/// Runtime's copy does; otherwise ONNX Runtime uses a table from its own quantizer, which can differ by one
/// step near a half-way point.
/// </remarks>
public sealed class QLinearConcat : OperatorDefinition
{
    public override string OpType => "QLinearConcat";
    public override string Domain => "com.microsoft";
    public override IReadOnlyList<int> SinceVersions { get; } = [1];

    private const int YScale = 0, YZeroPoint = 1, FirstTensor = 2;

    public override void InferOutputs(InferenceContext context)
    {
        int count = context.InputCount;
        if (count < FirstTensor + 3 || (count - FirstTensor) % 3 != 0)
            throw context.Error($"takes Y_scale, Y_zero_point and then (tensor, scale, zero point) triples; got {count} inputs");
        for (int i = 0; i < count; i++)
            if (!context.HasInput(i)) throw context.Error($"input {i} is required but missing");

        QuantizedValues.ExpectEightBit(context, YZeroPoint, "Y_zero_point");
        QuantizedValues.ExpectScaleType(context, YScale, "Y_scale");
        QuantizedValues.ExpectPerTensor(context, YScale, "Y_scale");
        QuantizedValues.ExpectPerTensor(context, YZeroPoint, "Y_zero_point");
        var type = context.InputType(YZeroPoint);
        var first = context.InputShape(FirstTensor);
        if (first.Rank == 0) throw context.Error("cannot concatenate scalars");
        int axis = ReadAxis(context.Node, first.Rank, context.Error);

        var dims = first.ToArray();
        long concatenated = 0;
        for (int t = FirstTensor; t < count; t += 3)
        {
            int tensor = (t - FirstTensor) / 3;
            QuantizedValues.ExpectSameType(context, t, YZeroPoint, $"tensor {tensor}", "Y_zero_point");
            QuantizedValues.ExpectSameType(context, t + 2, YZeroPoint, $"tensor {tensor}'s zero point", "Y_zero_point");
            QuantizedValues.ExpectScaleType(context, t + 1, $"tensor {tensor}'s scale");
            QuantizedValues.ExpectPerTensor(context, t + 1, $"tensor {tensor}'s scale");
            QuantizedValues.ExpectPerTensor(context, t + 2, $"tensor {tensor}'s zero point");
            var shape = context.InputShape(t);
            bool fits = shape.Rank == first.Rank;
            for (int d = 0; fits && d < shape.Rank; d++) fits = d == axis || shape[d] == first[d];
            if (!fits)
                throw context.Error($"tensor {tensor} (input {t}) has shape {shape}, which does not match {first} except along axis {axis}");
            concatenated += shape[axis];
        }
        if (concatenated > Shape.MaxElements)
            throw context.Error($"the result would have {concatenated} elements along axis {axis}, more than Octet holds in one tensor");
        dims[axis] = (int)concatenated;
        context.SetOutput(0, type, new Shape(dims));
    }

    private static int ReadAxis(Node node, int rank, Func<string, Exception> error)
    {
        if (!node.HasAttribute("axis")) throw error("required attribute 'axis' is missing");
        long axis = node.GetInt("axis");
        if (axis < -rank || axis >= rank) throw error($"axis={axis} is out of range for rank {rank}");
        return (int)(axis < 0 ? axis + rank : axis);
    }

    public override void Execute(KernelContext context)
    {
        var yZeroPoint = context.Input(YZeroPoint);
        float yScale = QuantizedValues.Scale(context.Input(YScale));
        int zeroPoint = QuantizedValues.ZeroPoint(yZeroPoint);
        var tensors = new List<(Tensor Values, float Scale, int ZeroPoint)>();
        for (int t = FirstTensor; t < context.InputCount; t += 3)
            tensors.Add((context.Input(t), QuantizedValues.Scale(context.Input(t + 1)), QuantizedValues.ZeroPoint(context.Input(t + 2))));

        var first = tensors[0].Values.Shape;
        int axis = ReadAxis(context.Node, first.Rank, context.Error);
        var dims = first.ToArray();
        dims[axis] = tensors.Sum(t => t.Values.Shape[axis]);
        var shape = new Shape(dims);
        Array y = yZeroPoint.ElementType == ElementType.Int8
            ? Run<sbyte>(tensors, shape, axis, yScale, zeroPoint)
            : Run<byte>(tensors, shape, axis, yScale, zeroPoint);
        context.SetOutput(0, Tensor.Create(yZeroPoint.ElementType, shape, y));
    }

    private static T[] Run<T>(List<(Tensor Values, float Scale, int ZeroPoint)> tensors, Shape shape, int axis, float yScale, int yZeroPoint)
        where T : unmanaged, IBinaryInteger<T>, IMinMaxValue<T>
    {
        // Viewed as [outer, axis * inner]: each outer slice of the output is the tensors' slices side by side.
        int outer = 1, inner = 1;
        for (int d = 0; d < axis; d++) outer *= shape[d];
        for (int d = axis + 1; d < shape.Rank; d++) inner *= shape[d];
        int outputSlice = shape[axis] * inner;

        var y = new T[shape.ElementCount];
        int offset = 0;
        foreach (var (tensor, scale, zeroPoint) in tensors)
        {
            var x = (T[])tensor.Data; // inference checked every tensor has the output's type
            int slice = tensor.Shape[axis] * inner;
            for (int o = 0; o < outer; o++)
            {
                for (int i = 0; i < slice; i++)
                {
                    float real = (int.CreateTruncating(x[o * slice + i]) - zeroPoint) * scale;
                    y[o * outputSlice + offset + i] = QuantizedValues.Quantize<T>(real / yScale, yZeroPoint);
                }
            }
            offset += slice;
        }
        return y;
    }
}
