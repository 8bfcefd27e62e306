using Octet.Compiler.CodeGeneration;
using Octet.Compiler.Graph;
using Octet.Compiler.Onnx;
using Octet.Compiler.Planning;
using Octet.Compiler.Reference;
using Octet.Generator.Plan;
using Xunit;

namespace Octet.Tests.CodeGeneration.Plan;

public sealed class ModelCompilerTests
{
    [Theory]
    [InlineData("mnist-8")]
    [InlineData("mnist-8 int8")]
    public void Compiling_twice_gives_the_same_plan_text_and_weights_bytes(string model)
    {
        var first = CompiledModels.Compile(model);
        var second = CompiledModels.Compile(model);

        Assert.Equal(first.PlanText, second.PlanText);
        Assert.Equal(first.Weights, second.Weights);
        Assert.Equal(first.MemoryReport, second.MemoryReport);
    }

    [Theory]
    [MemberData(nameof(CompiledModels.All), MemberType = typeof(CompiledModels))]
    public void Every_shared_model_compiles_to_a_plan_the_parser_reads_back(string model)
    {
        var compiled = CompiledModels.Get(model);

        var parsed = PlanParser.Parse(compiled.PlanText, model + ".plan");

        Assert.True(parsed.Succeeded, string.Join("\n", parsed.Problems));
        Assert.Equal(compiled.Plan, parsed.Plan);
        Assert.Equal(compiled.Weights.LongLength, compiled.Plan.Weights.Bytes);
        Assert.Equal(ModelCompiler.Sha256(compiled.Weights), compiled.Plan.Weights.Sha256);
        Assert.Equal(ModelCompiler.Sha256(File.ReadAllBytes(CompiledModels.PathOf(model))), compiled.Plan.Source.Sha256);
    }

    [Theory]
    [MemberData(nameof(CompiledModels.All), MemberType = typeof(CompiledModels))]
    public void Weights_sit_at_64_byte_aligned_offsets_and_small_constants_inline(string model)
    {
        var plan = CompiledModels.Get(model).Plan;

        foreach (var tensor in plan.Tensors)
        {
            long elements = tensor.Shape.Aggregate(1L, (a, d) => a * d);
            switch (tensor.Storage)
            {
                case PlanStorage.Weights:
                    Assert.Equal(0, tensor.Offset % 64);
                    Assert.True(elements > WeightPacker.InlineLimit, $"{tensor.Name} has {elements} elements but is not inline");
                    break;
                case PlanStorage.Inline:
                    Assert.True(elements <= WeightPacker.InlineLimit);
                    break;
            }
        }
        // No two weights tensors overlap.
        var placed = plan.Tensors.Where(t => t.Storage == PlanStorage.Weights).OrderBy(t => t.Offset).ToList();
        for (int k = 1; k < placed.Count; k++) Assert.True(placed[k - 1].Offset + placed[k - 1].Bytes <= placed[k].Offset);
    }

    [Theory]
    [MemberData(nameof(CompiledModels.All), MemberType = typeof(CompiledModels))]
    public void Layouts_follow_the_conventions_the_emitters_rely_on(string model)
    {
        var plan = CompiledModels.Get(model).Plan;
        var tensors = plan.Tensors.ToDictionary(t => t.Name);
        string Layout(string name) => tensors[name].Layout;

        foreach (var edge in plan.Inputs.Concat(plan.Outputs))
        {
            Assert.Equal("rowmajor", Layout(edge.Tensor));
            if (edge.Quantized is { } q) Assert.Equal("rowmajor", Layout(q.Tensor));
        }
        foreach (var op in plan.Ops)
        {
            switch (op.OpType)
            {
                case "Conv" or "octet.QConv" or "MaxPool" or "AveragePool" or "octet.QAveragePool" or "GlobalAveragePool" or "octet.QGlobalAveragePool":
                    Assert.Equal("NHWC", Layout(op.Inputs[0]));
                    Assert.Equal("NHWC", Layout(op.Outputs[0]));
                    if (op.OpType is "Conv" or "octet.QConv") Assert.Equal("OHWI", Layout(op.Inputs[1]));
                    break;
                case "Reshape" or "Flatten" or "Squeeze" or "Unsqueeze" or "Transpose" or "Softmax" or "Slice":
                    Assert.All(op.Inputs.Where(i => i.Length > 0), i => Assert.Equal("rowmajor", Layout(i)));
                    Assert.All(op.Outputs, o => Assert.Equal("rowmajor", Layout(o)));
                    break;
                case "Gemm" or "MatMul" or "octet.QGemm" or "octet.QMatMul":
                    Assert.Equal("rowmajor", Layout(op.Inputs[0]));
                    Assert.Contains(Layout(op.Inputs[1]), new[] { "rowmajor", "NK" });
                    if (tensors[op.Inputs[1]].Storage != PlanStorage.Arena && tensors[op.Inputs[1]].Shape.Count == 2) Assert.Equal("NK", Layout(op.Inputs[1]));
                    Assert.DoesNotContain(op.Attributes, a => a.Name is "transA" or "transB");
                    break;
                case "octet.ChannelShuffle" or "Split":
                    // A per-pixel channel permutation / slabs of a tensor: NHWC (rank 4) or rowmajor, the same for every data tensor.
                    var data = op.Inputs.Take(op.OpType == "Split" ? 1 : op.Inputs.Count).Concat(op.Outputs).ToList();
                    Assert.All(data, t => Assert.Equal(Layout(data[0]), Layout(t)));
                    if (Layout(data[0]) == "NHWC") Assert.All(data, t => Assert.Equal(4, tensors[t].Shape.Count));
                    break;
                case "octet.Relayout":
                    Assert.NotEqual(Layout(op.Inputs[0]), Layout(op.Outputs[0]));
                    Assert.Equal(tensors[op.Inputs[0]].Shape, tensors[op.Outputs[0]].Shape);
                    break;
                default:
                    // Element-wise ops and Concat: NHWC only when every arena input and the output are NHWC of one shape.
                    var arenaInputs = op.Inputs.Where(i => i.Length > 0 && tensors[i].Storage == PlanStorage.Arena).ToList();
                    if (Layout(op.Outputs[0]) == "NHWC")
                    {
                        Assert.All(arenaInputs, i => Assert.Equal("NHWC", Layout(i)));
                        if (op.OpType != "Concat") Assert.All(arenaInputs, i => Assert.Equal(tensors[op.Outputs[0]].Shape, tensors[i].Shape));
                    }
                    else Assert.All(arenaInputs, i => Assert.Equal("rowmajor", Layout(i)));
                    break;
            }
        }
    }

    [Theory]
    [MemberData(nameof(CompiledModels.All), MemberType = typeof(CompiledModels))]
    public void The_memory_plan_passes_its_checker_and_never_slices_an_nhwc_concat(string model)
    {
        var compiled = CompiledModels.Get(model);

        Assert.Empty(MemoryPlanCheck.Check(compiled.Graph, compiled.Memory));
        foreach (var alias in compiled.Memory.Aliases)
        {
            if (alias.Kind == AliasKind.ConcatSlice) Assert.Equal("rowmajor", compiled.Layouts[alias.Of]);
            // Relayout changes the bytes: it is never a view or in place.
            var producer = compiled.Graph.Producer(alias.Tensor);
            if (alias.Kind != AliasKind.ConcatSlice) Assert.NotEqual("Relayout", producer?.OpType);
        }
        foreach (var tensor in compiled.Plan.Tensors.Where(t => t.Storage == PlanStorage.Arena))
            Assert.Equal(compiled.Memory.Tensor(tensor.Name).Offset, tensor.Offset);
    }

    /// <summary>squeezenet int8 keeps its final Softmax in float (mixed precision), so only its input is quantized at the edge.</summary>
    [Theory]
    [InlineData("mnist-8 int8", true)]
    [InlineData("squeezenet1.0 int8", false)]
    [InlineData("ort-synthetic/conv_qdq_s8s8.onnx", true)]
    public void Int8_plans_run_from_the_quantized_input_without_edge_steps_in_the_op_list(string model, bool outputsDequantized)
    {
        var plan = CompiledModels.Get(model).Plan;

        Assert.All(plan.Inputs, i => Assert.NotNull(i.Quantized));
        if (outputsDequantized) Assert.All(plan.Outputs, o => Assert.NotNull(o.Quantized));
        Assert.DoesNotContain(plan.Ops, op => op.OpType == "QuantizeLinear");
        if (outputsDequantized) Assert.DoesNotContain(plan.Ops, op => op.OpType == "DequantizeLinear");
        var edgeFloats = new HashSet<string>(plan.Inputs.Concat(plan.Outputs).Where(e => e.Quantized is not null).Select(e => e.Tensor));
        Assert.DoesNotContain(plan.Ops, op => op.Inputs.Concat(op.Outputs).Any(edgeFloats.Contains));
        Assert.Equal(ModelPlan.IntegerOnly, plan.Numerics);
    }

    /// <summary>
    /// Layout, Relayout insertion, Gemm resolution, identity rewrites and scheduling must not change a single
    /// value: the reference executor runs the compiled graph (Relayout is the identity on logical tensors) and
    /// the graph before code generation on the stored input; integer and float results are compared bit for bit
    /// (every rewrite keeps each value's arithmetic, so not even float rounding may differ).
    /// </summary>
    [Theory]
    [InlineData("mnist-8 int8", "mnist-8")]
    [InlineData("squeezenet1.0 int8", "squeezenet1.0")]
    [InlineData("mnist-8", "mnist-8")]
    [InlineData("mobilenetv3-small-qdq", "mobilenetv3-small-qdq")]
    public void The_compiled_graph_computes_exactly_what_the_prepared_graph_does(string model, string dataFolder)
    {
        var compiled = CompiledModels.Get(model);
        var source = OnnxModelLoader.Load(CompiledModels.PathOf(model));
        var prepared = GraphPreparation.Prepare(source, CompiledModels.ConfigFor(model, source), null).Graph;
        var inputs = CompiledModels.StoredInputs(dataFolder, source);

        var expected = new ReferenceExecutor(prepared).Run(inputs);
        var actual = new ReferenceExecutor(compiled.Graph).Run(inputs);

        Assert.Contains(compiled.Plan.Ops, op => op.OpType == "octet.Relayout");
        foreach (var output in source.Outputs)
        {
            var e = expected[output];
            var a = actual[output];
            Assert.Equal(e.ElementType, a.ElementType);
            Assert.Equal(e.Shape, a.Shape);
            var eb = new byte[e.ElementCount * e.ElementType.SizeInBytes()];
            var ab = new byte[eb.Length];
            Buffer.BlockCopy(e.Data, 0, eb, 0, eb.Length);
            Buffer.BlockCopy(a.Data, 0, ab, 0, ab.Length);
            Assert.Equal(eb, ab);
        }
    }

    [Fact]
    public void The_memory_report_states_arena_lower_bound_naive_and_every_arena_tensor()
    {
        var compiled = CompiledModels.Get("mnist-8 int8");
        var report = compiled.MemoryReport;

        Assert.Contains($"arena        {compiled.Memory.ArenaBytes,12} bytes", report);
        Assert.Contains($"lower bound  {compiled.Memory.LowerBoundBytes,12} bytes", report);
        Assert.Contains($"naive        {compiled.Memory.NaiveBytes,12} bytes", report);
        foreach (var tensor in compiled.Memory.Tensors) Assert.Contains(tensor.Name, report);
        Assert.DoesNotContain("\r", report);
    }
}
