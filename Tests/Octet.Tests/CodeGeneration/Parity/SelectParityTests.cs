using System.Text;
using Octet.Compiler.CodeGeneration;
using Octet.Compiler.Graph;
using Octet.Compiler.Quantization.Calibration;
using Octet.Compiler.Quantization.Config;
using Octet.Compiler.Reference;
using Octet.Tests.CodeGeneration.Generator;
using Octet.Tests.Quantization.Lowering;
using Xunit;
using Xunit.Abstractions;

namespace Octet.Tests.CodeGeneration.Parity;

/// <summary>
/// <c>octet.Select</c> in generated code on a mask that chooses both sides (attention_distilbert's own mask is all
/// false, so its parity case only takes one): the small Where models of <see cref="MaskLoweringTests"/> — a scalar fill
/// on either side, or two activations with a requantized one — compiled integer-only and run against the reference
/// executor on the compiler's final graph, output float bits equal.
/// </summary>
public sealed class SelectParityTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(1, -0.75f)]
    [InlineData(2, 0.5f)]
    [InlineData(0, 0f)]
    public void Generated_Select_is_bit_identical_to_the_integer_reference(int fillSide, float fill)
    {
        var mask = Enumerable.Range(0, 4 * 6).Select(i => (i * 7) % 3 == 0).ToArray();
        var graph = MaskLoweringTests.Graph(fillSide, fill, mask, conditionAsInput: false);
        var config = Calibrator.Run(graph, CalibrationSamples.FromList(MaskLoweringTests.Samples(graph, new Random(1), 12)),
            new CalibrationOptions { Method = CalibrationMethod.MinMax }).ToConfig();
        var compiled = ModelCompiler.Compile(graph, Encoding.UTF8.GetBytes("mask-select-test"), config, NumericsMode.IntegerOnly);
        output.WriteLine("plan ops: " + string.Join(", ", compiled.Plan.Ops.Select(o => o.OpType)));
        Assert.Contains(compiled.Plan.Ops, op => op.OpType == "octet.Select");

        var generated = GeneratedModel.Build(compiled.Plan, className: "SelectModel");
        var instance = generated.Create(compiled.Weights);
        var reference = new ReferenceExecutor(compiled.Graph);
        foreach (var inputs in MaskLoweringTests.Samples(graph, new Random(3), 5))
        {
            var expected = reference.Run(inputs);
            var runInputs = compiled.Plan.Inputs.Select(e => (Array)inputs[e.Name].As<float>().ToArray()).ToArray();
            var runOutputs = compiled.Plan.Outputs.Select(e => (Array)new float[expected[e.Name].ElementCount]).ToArray();
            generated.RunDelegate(instance, runInputs, runOutputs);
            for (int i = 0; i < compiled.Plan.Outputs.Count; i++)
            {
                var want = expected[compiled.Plan.Outputs[i].Name].As<float>();
                var got = (float[])runOutputs[i];
                Assert.Equal(want.Select(BitConverter.SingleToInt32Bits), got.Select(BitConverter.SingleToInt32Bits));
            }
        }
    }
}
