using Octet.Compiler.Onnx.Proto;
using Octet.OnnxRuntime;
using Xunit;

namespace Octet.Tests.OnnxRuntime;

/// <summary>Session options reach ONNX Runtime: each is either visibly applied or rejected by ONNX Runtime itself.</summary>
public sealed class SessionOptionsTests
{
    private static readonly string MnistPath = RepoPaths.TestDataFile("models", "mnist-8", "model.onnx");

    [Fact]
    public void Defaults_match_onnx_runtime_defaults()
    {
        using var options = new SessionOptions();

        Assert.Equal(0, options.IntraOpNumThreads);
        Assert.Equal(0, options.InterOpNumThreads);
        Assert.Equal(GraphOptimizationLevel.ORT_ENABLE_ALL, options.GraphOptimizationLevel);
        Assert.Equal(ExecutionMode.ORT_SEQUENTIAL, options.ExecutionMode);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 1)]
    [InlineData(1, 2)]
    public void Thread_counts_are_accepted(int intraOp, int interOp)
    {
        using var options = new SessionOptions { IntraOpNumThreads = intraOp, InterOpNumThreads = interOp };
        options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");

        Assert.Equal(intraOp, options.IntraOpNumThreads);
        Assert.Equal(interOp, options.InterOpNumThreads);
        using var session = new InferenceSession(MnistPath, options);
        Assert.Single(session.Run([NamedOnnxValue.CreateFromTensor("Input3", new float[784], 1, 1, 28, 28)]));
    }

    [Theory]
    [InlineData(GraphOptimizationLevel.ORT_DISABLE_ALL)]
    [InlineData(GraphOptimizationLevel.ORT_ENABLE_BASIC)]
    [InlineData(GraphOptimizationLevel.ORT_ENABLE_EXTENDED)]
    [InlineData(GraphOptimizationLevel.ORT_ENABLE_ALL)]
    public void Every_optimization_level_runs_the_model(GraphOptimizationLevel level)
    {
        using var options = new SessionOptions { GraphOptimizationLevel = level, ExecutionMode = ExecutionMode.ORT_SEQUENTIAL };
        using var session = new InferenceSession(MnistPath, options);

        var result = session.Run([NamedOnnxValue.CreateFromTensor("Input3", new float[784], 1, 1, 28, 28)]).Single();

        Assert.Equal([1L, 10L], result.Shape);
    }

    /// <summary>
    /// Constant folding is part of ORT_ENABLE_BASIC: x + (a + b) keeps both Adds without optimization and
    /// one Add with it. The optimized model ONNX Runtime saves shows which level it applied.
    /// </summary>
    [Theory]
    [InlineData(GraphOptimizationLevel.ORT_DISABLE_ALL, 2)]
    [InlineData(GraphOptimizationLevel.ORT_ENABLE_BASIC, 1)]
    public void Optimization_level_changes_the_graph_onnx_runtime_runs(GraphOptimizationLevel level, int expectedNodes)
    {
        string optimizedPath = Path.Combine(Path.GetTempPath(), $"octet-ort-optimized-{Guid.NewGuid():N}.onnx");
        try
        {
            using var options = new SessionOptions { GraphOptimizationLevel = level, OptimizedModelFilePath = optimizedPath };
            using var session = new InferenceSession(TinyModels.AddOfConstantSum(), options);

            var result = session.Run([NamedOnnxValue.CreateFromTensor("x", new[] { 100f, 200f }, 2)]).Single();

            Assert.Equal(new[] { 111f, 222f }, result.AsArray<float>());
            var optimized = ModelProto.Parser.ParseFrom(File.ReadAllBytes(optimizedPath));
            Assert.Equal(expectedNodes, optimized.Graph.Node.Count);
        }
        finally
        {
            File.Delete(optimizedPath);
        }
    }

    [Fact]
    public void Parallel_execution_mode_is_accepted()
    {
        using var options = new SessionOptions { ExecutionMode = ExecutionMode.ORT_PARALLEL, InterOpNumThreads = 2 };
        using var session = new InferenceSession(MnistPath, options);

        Assert.Single(session.Run([NamedOnnxValue.CreateFromTensor("Input3", new float[784], 1, 1, 28, 28)]));
    }

    [Fact]
    public void Config_entries_reach_onnx_runtime()
    {
        // Asking for the ORT flatbuffer format makes loading an .onnx file fail: proof the entry arrived.
        using var options = new SessionOptions();
        options.AddSessionConfigEntry("session.load_model_format", "ORT");

        Assert.Throws<OnnxRuntimeException>(() => new InferenceSession(MnistPath, options));
    }

    [Fact]
    public void Disposed_options_cannot_be_used()
    {
        var options = new SessionOptions();
        options.Dispose();

        Assert.Throws<ObjectDisposedException>(() => options.IntraOpNumThreads = 1);
        Assert.Throws<ObjectDisposedException>(() => new InferenceSession(MnistPath, options));
    }
}
