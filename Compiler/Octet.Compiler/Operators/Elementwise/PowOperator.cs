using System.Numerics;
using Octet.Compiler.Graph;

namespace Octet.Compiler.Operators.Elementwise;

/// <summary>
/// ONNX Pow: <c>Z = X ^ Y</c> with broadcasting; Z has X's type. From opset 12 the base may be int32/int64
/// and the exponent any numeric type. As numpy: an integer base raised to an integer exponent is exact,
/// wrapping integer arithmetic; mixed cases are computed in double and converted to X's type (truncating
/// toward zero for an integer base).
/// </summary>
public sealed class PowOperator : OperatorDefinition
{
    public override string OpType => "Pow";
    public override IReadOnlyList<int> SinceVersions { get; } = [1, 7, 12, 13, 15];

    /// <summary>Pow-1 broadcasts by the legacy attributes and predates the opsets Octet reads.</summary>
    public override IReadOnlyList<int> ImplementedVersions { get; } = [7, 12, 13, 15];

    public override void InferOutputs(InferenceContext context)
    {
        OperatorChecks.ExpectInputs(context, 2, 2);
        OperatorChecks.ExpectOutputs(context, 1, 1);
        if (context.Node.OpsetVersion >= 12)
        {
            context.ExpectType(0, ElementTypeSets.FloatAndWideIntegers);
            context.ExpectType(1, ElementTypeSets.Numeric);
        }
        else
        {
            context.ExpectType(0, ElementTypeSets.Float);
            context.ExpectType(1, ElementTypeSets.Float);
        }
        context.SetOutput(0, context.InputType(0), Broadcasting.Broadcast(context, 0, 1));
    }

    public override void Execute(KernelContext context)
    {
        var x = context.Input(0);
        var y = context.Input(1);
        var output = Broadcasting.TryBroadcast(x.Shape, y.Shape)
            ?? throw context.Error($"input shapes {x.Shape} and {y.Shape} cannot be broadcast together");
        var result = x.ElementType switch
        {
            ElementType.Float32 => WithBase<float>(x, y, output),
            ElementType.Int32 => WithBase<int>(x, y, output),
            ElementType.Int64 => WithBase<long>(x, y, output),
            _ => throw context.Error($"base of element type {x.ElementType.OnnxName()} is not supported"),
        };
        context.SetOutput(0, result);
    }

    private static Tensor WithBase<TBase>(Tensor x, Tensor y, Shape output) where TBase : unmanaged, INumber<TBase> =>
        y.ElementType switch
        {
            ElementType.Float32 => Compute<TBase, float>(x, y, output),
            ElementType.Int8 => Compute<TBase, sbyte>(x, y, output),
            ElementType.UInt8 => Compute<TBase, byte>(x, y, output),
            ElementType.Int16 => Compute<TBase, short>(x, y, output),
            ElementType.Int32 => Compute<TBase, int>(x, y, output),
            ElementType.Int64 => Compute<TBase, long>(x, y, output),
            _ => throw new NotSupportedException($"exponent of element type {y.ElementType.OnnxName()}"),
        };

    private static Tensor Compute<TBase, TExponent>(Tensor x, Tensor y, Shape output)
        where TBase : unmanaged, INumber<TBase>
        where TExponent : unmanaged, INumber<TExponent> =>
        Tensor.Create(output, BroadcastLoops.Binary<TBase, TExponent, TBase, Kernel<TBase, TExponent>>(
            x.As<TBase>(), x.Shape, y.As<TExponent>(), y.Shape, output));

    private readonly struct Kernel<TBase, TExponent> : IBinaryKernel<TBase, TExponent, TBase>
        where TBase : INumber<TBase>
        where TExponent : INumber<TExponent>
    {
        public static TBase Apply(TBase x, TExponent y)
        {
            if (typeof(TBase) == typeof(float) && typeof(TExponent) == typeof(float))
                return TBase.CreateTruncating(MathF.Pow(float.CreateTruncating(x), float.CreateTruncating(y)));
            if (typeof(TBase) != typeof(float) && typeof(TExponent) != typeof(float))
                return IntegerPower(x, long.CreateTruncating(y));
            double value = Math.Pow(double.CreateTruncating(x), double.CreateTruncating(y));
            // An integer result truncates toward zero; NaN and out-of-range saturate rather than trap.
            return typeof(TBase) == typeof(float) ? TBase.CreateTruncating(value) : TBase.CreateSaturating(Math.Truncate(value));
        }

        /// <summary>Exact integer power by squaring, wrapping like numpy's integer power.</summary>
        private static TBase IntegerPower(TBase x, long exponent)
        {
            if (exponent < 0)
            {
                // 1 / x^n truncated toward zero: only ±1 survive (0 has no reciprocal; keep 0, as C's pow cast does not trap).
                if (x == TBase.One) return TBase.One;
                if (x == -TBase.One) return (exponent & 1) == 0 ? TBase.One : -TBase.One;
                return TBase.Zero;
            }
            TBase result = TBase.One, power = x;
            while (exponent > 0)
            {
                if ((exponent & 1) != 0) result *= power;
                power *= power;
                exponent >>= 1;
            }
            return result;
        }
    }
}
