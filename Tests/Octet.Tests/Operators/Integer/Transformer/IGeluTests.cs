using Octet.Compiler.Graph;
using Octet.Compiler.Operators.Integer;
using Octet.Compiler.Quantization;
using Xunit;
using Xunit.Abstractions;
using static Octet.Tests.Operators.Integer.IntegerHarness;

namespace Octet.Tests.Operators.Integer.Transformer;

/// <summary>
/// IGelu over every 8-bit input value against GELU's float definition (x · Φ(x) with the exact erf, in
/// double) at realistic scales: dequantize, GELU, quantize with the output's scale and zero point.
/// </summary>
public sealed class IGeluTests(ITestOutputHelper output)
{
    /// <summary>(s_x, x_zero_point) for int8 inputs: pre-GELU activations of transformer MLPs span about ±3 to ±12.</summary>
    private static readonly (float Scale, int ZeroPoint)[] Inputs = [(0.02f, 0), (0.03f, -20), (0.05f, 10), (0.1f, -40)];

    public static TheoryData<string, ElementType, ElementType, int> Cases => new()
    {
        { IGelu.ShiftGeluMethod, ElementType.Int8, ElementType.Int8, ShiftGeluBound },
        { IGelu.ShiftGeluMethod, ElementType.UInt8, ElementType.UInt8, ShiftGeluBound },
        { IGelu.IbertMethod, ElementType.Int8, ElementType.Int8, IbertBound },
        { IGelu.IbertMethod, ElementType.UInt8, ElementType.UInt8, IbertBound },
    };

    private const int ShiftGeluBound = 3;
    private const int IbertBound = 2;

    [Theory]
    [MemberData(nameof(Cases))]
    public void IGelu_matches_the_float_definition_on_every_input(string method, ElementType xType, ElementType yType, int bound)
    {
        var log = new ErrorLog(output);
        var (xMin, xMax) = Range(xType);
        var all = Enumerable.Range(xMin, 256).ToArray();
        foreach (var (scale, baseZeroPoint) in Inputs)
        {
            int xZeroPoint = xType == ElementType.UInt8 ? baseZeroPoint + 128 : baseZeroPoint;
            var input = QuantizationParameters.PerTensor(xType, scale, xZeroPoint);
            // The output range is GELU's over the input range (its minimum is −0.170 at x ≈ −0.75), as calibration finds it.
            var reals = all.Select(q => TransformerReference.Gelu(scale * (q - xZeroPoint))).ToArray();
            var outputParameters = QuantizationMath.FromRange((float)reals.Min(), (float)reals.Max(), yType, symmetric: false);
            var node = Node("IGelu", 1, IGelu.Create(method, input, outputParameters).Values);
            var actual = Values(Run(new IGelu(), node, [From(xType, [256], all)]));
            var expected = reals.Select(r => TransformerReference.Quantize(r, outputParameters.Scale, outputParameters.ZeroPoint, yType)).ToArray();
            log.For($"s_x={scale} zp={xZeroPoint} s_y={outputParameters.Scale:G4} zp_y={outputParameters.ZeroPoint}").AddAll(expected, actual);
        }
        log.Write($"IGelu {method} {xType}→{yType}");
        Assert.True(log.Max <= bound, $"max error {log.Max} LSB exceeds the measured bound {bound}");
    }
}
