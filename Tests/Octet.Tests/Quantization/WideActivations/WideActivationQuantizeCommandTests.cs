using Octet.Compiler.CodeGeneration;
using Octet.Compiler.Data;
using Octet.Compiler.Graph;
using Octet.Compiler.Onnx;
using Octet.Compiler.Quantization.Config;
using Octet.Tests.Cli;
using Octet.Tests.FrontEnd;
using Octet.Tests.Models.Transformers;
using Octet.Tests.TestSupport;
using Xunit;

namespace Octet.Tests.Quantization.WideActivations;

/// <summary><c>octet quantize --wide-activations residual [--wide-range-factor F]</c>, run in-process.</summary>
[Collection(ConsoleCollection.Name)]
public sealed class WideActivationQuantizeCommandTests
{
    [Fact]
    public void Writes_the_policy_into_the_config_and_the_config_gives_int16_activations()
    {
        using var folder = new TempFolder();
        var model = new VitModelWriter().Save(folder.Path);
        var graph = OnnxModelLoader.Load(model);
        var input = graph.Tensor(VitModelWriter.InputName);
        var random = new Random(1);
        int n = (int)input.Shape.ElementCount;
        var data = folder.File(VitModelWriter.InputName + ".npy");
        NpyFile.Write(data, Tensor.Create(new Shape([4, .. input.Shape.Dims.ToArray().Skip(1)]), Enumerable.Range(0, 4 * n).Select(_ => random.NextSingle() * 4 - 2).ToArray()));
        var output = folder.File("vit.quant.json");

        var (code, _, error) = OctetCli.Run("quantize", model, "--calibration", data, "--wide-activations", "residual", "--wide-range-factor", "2", "-o", output);
        Assert.True(code == 0, error);
        var config = GraphPreparation.LoadConfig(output, graph);
        Assert.Equal(WideActivationPolicy.Residual, config.Transformer.WideActivations);
        Assert.Equal(2.0, config.Transformer.WideRangeFactor);
        Assert.Contains("\"wide_activations\": \"residual\"", File.ReadAllText(output));
        var qdq = GraphPreparation.ToQdq(graph, config);
        Assert.Contains(qdq.Nodes, node => node.OpType == "QuantizeLinear" && qdq.Tensor(node.Outputs[0]).ElementType == ElementType.Int16);

        // Without the flag nothing about wide activations is written.
        (code, _, error) = OctetCli.Run("quantize", model, "--calibration", data, "-o", output, "--force");
        Assert.True(code == 0, error);
        Assert.DoesNotContain("wide_", File.ReadAllText(output));
    }

    [Fact]
    public void Refuses_a_model_without_a_residual_stream_and_bad_values()
    {
        using var folder = new TempFolder();
        var output = folder.File("q.json");
        var (code, _, error) = OctetCli.Run("quantize", TestData.Model("mnist-8"), "--method", "bn-stats", "--wide-activations", "residual", "-o", output);
        Assert.Equal(2, code);
        Assert.Contains("--wide-activations residual", error);
        Assert.Contains("has no residual stream", error);
        Assert.False(File.Exists(output));

        (code, _, error) = OctetCli.Run("quantize", TestData.Model("mnist-8"), "--method", "bn-stats", "--wide-activations", "all", "-o", output);
        Assert.NotEqual(0, code);
        Assert.Contains("all", error);
        (code, _, error) = OctetCli.Run("quantize", TestData.Model("mnist-8"), "--method", "bn-stats", "--wide-range-factor", "0", "-o", output);
        Assert.Equal(2, code);
        Assert.Contains("--wide-range-factor must be a number greater than 0, got 0", error);
        Assert.False(File.Exists(output));
    }
}
