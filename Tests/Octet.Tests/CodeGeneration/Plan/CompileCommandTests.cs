using System.Text.Json;
using Octet.Generator.Plan;
using Octet.Tests.Cli;
using Octet.Tests.FrontEnd;
using Octet.Tests.TestSupport;
using Xunit;

namespace Octet.Tests.CodeGeneration.Plan;

[Collection(ConsoleCollection.Name)]
public sealed class CompileCommandTests
{
    private static readonly string Mnist = TestData.Model("mnist-8");
    private static readonly string MnistConfig = Path.Combine(TestData.Folder, "configs", "mnist-8.quant.json");

    [Fact]
    public void Compile_writes_plan_weights_memory_report_and_source_and_prints_sizes_as_json()
    {
        using var temp = new TempFolder();
        var folder = temp.File("out");

        var (code, output, error) = OctetCli.Run("compile", Mnist, "--quant", MnistConfig, "-o", folder, "--json");

        Assert.True(code == 0, error);
        var plan = PlanParser.Parse(File.ReadAllText(Path.Combine(folder, "model.octet-plan")), "model.octet-plan");
        Assert.True(plan.Succeeded, string.Join("\n", plan.Problems));
        var weights = File.ReadAllBytes(Path.Combine(folder, "model.weights.bin"));
        Assert.Equal(plan.Plan!.Weights.Bytes, weights.LongLength);
        Assert.Contains("lower bound", File.ReadAllText(Path.Combine(folder, "model.memory.txt")));
        var source = File.ReadAllText(Path.Combine(folder, "model.g.cs"));
        Assert.Contains("class Model", source);

        using var json = JsonDocument.Parse(output);
        var root = json.RootElement;
        Assert.Equal(plan.Plan.Memory.ArenaBytes, root.GetProperty("arena_bytes").GetInt64());
        Assert.Equal(plan.Plan.Memory.LowerBoundBytes, root.GetProperty("lower_bound_bytes").GetInt64());
        Assert.Equal(plan.Plan.Memory.NaiveBytes, root.GetProperty("naive_bytes").GetInt64());
        Assert.Equal(weights.LongLength, root.GetProperty("weights_bytes").GetInt64());
        Assert.Equal(new FileInfo(Path.Combine(folder, "model.g.cs")).Length, root.GetProperty("generated_source_bytes").GetInt64());
    }

    [Fact]
    public void Compile_refuses_an_output_that_is_a_file()
    {
        using var temp = new TempFolder();
        var file = temp.File("taken.txt");
        File.WriteAllText(file, "keep me");

        var (code, _, error) = OctetCli.Run("compile", Mnist, "-o", file);

        Assert.Equal(2, code);
        Assert.Contains("is a file", error);
        Assert.Equal("keep me", File.ReadAllText(file));
    }

    [Fact]
    public void Compile_never_overwrites_the_model()
    {
        using var temp = new TempFolder();
        var model = temp.File("model.octet-plan");
        File.Copy(Mnist, model);
        var before = File.ReadAllBytes(model);

        var (code, _, error) = OctetCli.Run("compile", model, "-o", temp.Path);

        Assert.Equal(2, code);
        Assert.Contains("would overwrite the model", error);
        Assert.Equal(before, File.ReadAllBytes(model));
    }

    [Fact]
    public void Compile_names_the_node_of_an_op_code_generation_does_not_support()
    {
        using var temp = new TempFolder();
        var (code, _, error) = OctetCli.Run("compile", TestData.Synthetic("nhwc_resize_sizes_opset18.quant.onnx"), "-o", temp.Path);

        Assert.Equal(2, code);
        Assert.Contains("code generation does not support", error);
        Assert.Contains("node 'Resize#12' (Resize", error);
        Assert.Empty(Directory.GetFiles(temp.Path));
    }
}
