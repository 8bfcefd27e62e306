using Octet.Compiler.Analysis;
using Octet.Compiler.CodeGeneration;
using Octet.Compiler.Diagnostics;
using Octet.Compiler.Graph;
using Octet.Compiler.Operators;
using Octet.Compiler.Quantization;
using Octet.Compiler.Quantization.Calibration;
using Octet.Compiler.Quantization.Config;
using Octet.Compiler.Quantization.Lowering;
using Octet.Compiler.Reference;
using Xunit;
using Xunit.Abstractions;
using Attribute = Octet.Compiler.Graph.Attribute;

namespace Octet.Tests.Quantization.Lowering;

/// <summary>
/// Attention masks written as Where with a constant condition: calibrated (MinMax), quantized to QDQ and lowered
/// integer-only, the Where becomes <c>octet.Select</c> on the output's quantization — the constant fill quantized at
/// compile time, quantized operands requantized where their parameters differ. Checked against the QDQ model's own
/// quantized Where output: exact where the fill is chosen, ≤ 1 LSB elsewhere (one requantization), and the plan has
/// no float node. A condition computed at run time is not lowered and code generation names the Where.
/// </summary>
public sealed class MaskLoweringTests(ITestOutputHelper output)
{
    private static readonly int[] ScoreShape = [1, 2, 4, 6];

    /// <param name="fillSide">1: Where(c, fill, scores), 2: Where(c, scores, fill), 0: Where(c, keys, scores) with two activations.</param>
    [Theory]
    [InlineData(1, -0.75f)]
    [InlineData(2, 0f)]
    [InlineData(0, 0f)]
    public void A_constant_mask_Where_lowers_to_Select_on_the_output_quantization(int fillSide, float fill)
    {
        var mask = Enumerable.Range(0, 4 * 6).Select(i => (i * 7) % 3 == 0).ToArray(); // [1, 1, 4, 6], some of each
        var graph = Graph(fillSide, fill, mask, conditionAsInput: false);
        var calibration = Samples(graph, new Random(1), 12);
        var config = Calibrator.Run(graph, CalibrationSamples.FromList(calibration), new CalibrationOptions { Method = CalibrationMethod.MinMax }).ToConfig();
        var qdq = QdqQuantizer.Apply(graph, config.ToRequest());
        var plan = IntegerLowering.Lower(qdq, NumericsMode.IntegerOnly);
        output.WriteLine(string.Join("\n", plan.Nodes.Select(n => n.Describe())));

        Assert.Empty(IntegerPlanCheck.FindFloatArithmetic(plan));
        Assert.DoesNotContain(plan.Nodes, n => n.OpType == "Where");
        var select = Assert.Single(plan.Nodes, n => n.OpType == "Select");
        var condition = plan.Tensor(select.Inputs[0]);
        Assert.Equal(ElementType.UInt8, condition.ElementType);
        Assert.Equal(new Shape(ScoreShape), condition.Shape); // expanded at compile time
        // Two activations of different ranges (keys, scores): at least one of them is not at the output's parameters.
        if (fillSide == 0) Assert.Contains(plan.Nodes, n => n.OpType == "Requantize" && select.Inputs.Contains(n.Outputs[0]));

        // Each integer op on the QDQ model's own quantized inputs, compared with the QDQ model's quantized Where output.
        var qdqRun = new ReferenceExecutor(qdq);
        int maxError = 0, fillPositions = 0;
        foreach (var inputs in Samples(graph, new Random(2), 10))
        {
            var values = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            qdqRun.Run(inputs, (name, value) => values[name] = value);
            foreach (var (name, value) in inputs) values[name] = value;
            var selected = ReplayUpTo(plan, select, values);
            var expected = IntegerHarnessValues(values[select.Outputs[0]]);
            var actual = IntegerHarnessValues(selected);
            for (int i = 0; i < expected.Length; i++)
            {
                bool fillChosen = fillSide != 0 && (mask[i % mask.Length] == (fillSide == 1));
                if (fillChosen)
                {
                    fillPositions++;
                    Assert.Equal(expected[i], actual[i]); // the constant, quantized the same way
                }
                maxError = Math.Max(maxError, Math.Abs(expected[i] - actual[i]));
            }
        }
        output.WriteLine($"Select against the QDQ model's quantized Where: max {maxError} LSB; {fillPositions} fill positions exact");
        Assert.True(maxError <= 1, $"{maxError} LSB");
        if (fillSide != 0) Assert.True(fillPositions > 0);
    }

    [Fact]
    public void A_condition_computed_at_run_time_stays_float_and_code_generation_names_the_Where()
    {
        var graph = Graph(1, -0.75f, mask: null, conditionAsInput: true);
        var calibration = Samples(graph, new Random(1), 4);
        var config = Calibrator.Run(graph, CalibrationSamples.FromList(calibration), new CalibrationOptions { Method = CalibrationMethod.MinMax }).ToConfig();
        var plan = IntegerLowering.Lower(QdqQuantizer.Apply(graph, config.ToRequest()), NumericsMode.IntegerOnly);
        Assert.Contains(plan.Nodes, n => n.OpType == "Where");
        Assert.Contains(IntegerPlanCheck.FindFloatArithmetic(plan), p => p.Contains("mask_where", StringComparison.Ordinal));
        var e = Assert.Throws<OctetException>(() => SupportedOps.Check(plan));
        Assert.Contains("mask_where", e.Message);
        Assert.Contains("Where", e.Message);
    }

    /// <summary>
    /// scores [1, 2, 4, 6] (and keys, same shape, when both operands are activations) → Where(mask [1, 1, 4, 6], …) → Transpose → output: the Transpose only
    /// moves values, so the Where's quantized output is what the model's output is made of.
    /// </summary>
    internal static ModelGraph Graph(int fillSide, float fill, bool[]? mask, bool conditionAsInput)
    {
        var tensors = new Dictionary<string, TensorInfo>(StringComparer.Ordinal)
        {
            ["scores"] = new("scores", ElementType.Float32, new Shape(ScoreShape)),
            ["fill"] = TensorInfo.ForConstant("fill", Tensor.Scalar(fill)),
        };
        var inputs = new List<string> { "scores" };
        if (fillSide == 0)
        {
            tensors["keys"] = new("keys", ElementType.Float32, new Shape(ScoreShape));
            inputs.Add("keys");
        }
        if (conditionAsInput)
        {
            tensors["mask"] = new("mask", ElementType.Bool, new Shape(1, 1, 4, 6));
            inputs.Add("mask");
        }
        else tensors["mask"] = TensorInfo.ForConstant("mask", Tensor.Create(new Shape(1, 1, 4, 6), mask!));
        string[] whereInputs = fillSide switch
        {
            1 => ["mask", "fill", "scores"],
            2 => ["mask", "scores", "fill"],
            _ => ["mask", "keys", "scores"],
        };
        var nodes = new List<Node>
        {
            new("mask_where", "Where", "", 16, whereInputs, ["masked"], new Dictionary<string, Attribute>()),
            new("transpose", "Transpose", "", 13, ["masked"], ["output"],
                new Dictionary<string, Attribute> { ["perm"] = new("perm", AttributeKind.Ints, new long[] { 0, 1, 3, 2 }) }),
        };
        var graph = new ModelGraph("mask", "mask.test", new Dictionary<string, int> { [""] = 17 }, nodes, tensors, inputs, ["output"]);
        ShapeInference.Run(graph);
        return graph;
    }

    /// <summary>Scores about N(0, 2), keys about N(0.5, 1) (different ranges); a random mask when it is an input.</summary>
    internal static List<Dictionary<string, Tensor>> Samples(ModelGraph graph, Random random, int count)
    {
        var result = new List<Dictionary<string, Tensor>>();
        for (int s = 0; s < count; s++)
        {
            var sample = new Dictionary<string, Tensor>(StringComparer.Ordinal)
            {
                ["scores"] = Tensor.Create(new Shape(ScoreShape), Enumerable.Range(0, 48).Select(_ => (float)(2 * Normal(random))).ToArray()),
            };
            var keys = Tensor.Create(new Shape(ScoreShape), Enumerable.Range(0, 48).Select(_ => (float)(0.5 + Normal(random))).ToArray());
            if (graph.Inputs.Contains("keys")) sample["keys"] = keys;
            if (graph.Inputs.Contains("mask")) sample["mask"] = Tensor.Create(new Shape(1, 1, 4, 6), Enumerable.Range(0, 24).Select(_ => random.Next(2) == 0).ToArray());
            result.Add(sample);
        }
        return result;
    }

    private static double Normal(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    /// <summary>
    /// Runs the plan's nodes up to and including <paramref name="target"/>, each on the QDQ model's value of its inputs
    /// where the QDQ model has one (so no op sees another op's rounding), else on the plan's own results before it.
    /// </summary>
    private static Tensor ReplayUpTo(ModelGraph plan, Node target, Dictionary<string, Tensor> qdqValues)
    {
        var values = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var node in plan.Nodes)
        {
            var operands = node.Inputs.Select(i => i.Length == 0 ? null
                : plan.Tensor(i).ConstantValue ?? (values.TryGetValue(i, out var own) ? own : qdqValues[i])).ToList();
            var context = new KernelContext(node, operands);
            ShapeInference.Resolve(node, plan, OperatorRegistry.Default).Execute(context);
            if (node == target) return context.Output(0)!;
            if (!qdqValues.ContainsKey(node.Outputs[0])) values[node.Outputs[0]] = context.Output(0)!;
        }
        throw new InvalidOperationException("target not in the plan");
    }

    private static int[] IntegerHarnessValues(Tensor t) => Octet.Tests.Operators.Integer.Int16Values.Values(t);
}
