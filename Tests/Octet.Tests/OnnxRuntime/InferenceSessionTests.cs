using Octet.Cli.Commands;
using Octet.Compiler.Graph;
using Octet.Compiler.Onnx;
using Octet.OnnxRuntime;
using Octet.Tests.TestSupport;
using Xunit;

namespace Octet.Tests.OnnxRuntime;

/// <summary>
/// The ONNX Runtime binding against the stored ONNX test data (expected outputs come from the ONNX model zoo
/// and the ONNX backend test suite, not from ONNX Runtime). Every C API slot the binding uses is called here:
/// a wrong slot would crash the test process.
/// </summary>
public sealed class InferenceSessionTests
{
    private const double Rtol = 1e-3, Atol = 1e-5;

    private static readonly string MnistPath = RepoPaths.TestDataFile("models", "mnist-8", "model.onnx");

    [Fact]
    public void Library_is_onnx_runtime_1_30_0()
    {
        Assert.Equal("1.30.0", OrtEnv.OnnxRuntimeVersion);
        Assert.Equal("1.30.0", OrtEnv.Instance().GetVersionString());
    }

    [Fact]
    public void Mnist_metadata_lists_its_one_input_and_output()
    {
        using var session = new InferenceSession(MnistPath);

        Assert.Equal(["Input3"], session.InputNames);
        NodeMetadata input = session.InputMetadata["Input3"];
        Assert.True(input.IsTensor);
        Assert.Equal(TensorElementType.Float, input.ElementDataType);
        Assert.Equal(typeof(float), input.ElementType);
        Assert.Equal([1, 1, 28, 28], input.Dimensions);
        Assert.Equal(["", "", "", ""], input.SymbolicDimensions);

        Assert.Equal(["Plus214_Output_0"], session.OutputNames);
        NodeMetadata output = session.OutputMetadata["Plus214_Output_0"];
        Assert.Equal(TensorElementType.Float, output.ElementDataType);
        Assert.Equal([1, 10], output.Dimensions);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void Mnist_matches_model_zoo_outputs(int dataSet)
    {
        string folder = Path.Combine(RepoPaths.TestDataFile("models", "mnist-8"), $"test_data_set_{dataSet}");
        using var session = new InferenceSession(MnistPath);

        var failure = RunAndCompare(session, folder);

        Assert.True(failure is null, failure);
    }

    [Fact]
    public void Model_from_bytes_gives_the_same_result_as_model_from_file()
    {
        string folder = Path.Combine(RepoPaths.TestDataFile("models", "mnist-8"), "test_data_set_0");
        using var session = new InferenceSession(File.ReadAllBytes(MnistPath));

        var failure = RunAndCompare(session, folder);

        Assert.True(failure is null, failure);
    }

    /// <summary>Integer tensors in and out: int8, uint8, int64 (Reshape's shape), int32 (MatMulInteger's output).</summary>
    [Theory]
    [InlineData("test_add_int8")]
    [InlineData("test_add_uint8")]
    [InlineData("test_reshape_reordered_all_dims")]
    [InlineData("test_matmulinteger")]
    [InlineData("test_maxpool_2d_uint8")]
    public void Node_case_matches_onnx_reference_outputs(string caseName)
    {
        string caseFolder = Path.Combine(RepoPaths.TestDataFile("onnx-node"), caseName);
        using var session = new InferenceSession(Path.Combine(caseFolder, "model.onnx"));

        var failure = RunAndCompare(session, Path.Combine(caseFolder, "test_data_set_0"));

        Assert.True(failure is null, failure);
    }

    [Fact]
    public void Outputs_come_back_in_the_order_requested()
    {
        // DynamicQuantizeLinear has three outputs: y (uint8), y_scale (float), y_zero_point (uint8).
        string caseFolder = Path.Combine(RepoPaths.TestDataFile("onnx-node"), "test_dynamicquantizelinear");
        string data = Path.Combine(caseFolder, "test_data_set_0");
        using var session = new InferenceSession(Path.Combine(caseFolder, "model.onnx"));
        Assert.Equal(3, session.OutputNames.Count);
        var input = OnnxTensorReader.ReadFile(Path.Combine(data, "input_0.pb")).Value;

        var results = session.Run(
            [OnnxRuntimeReference.ToNamedOnnxValue(session.InputNames[0], input)],
            [session.OutputNames[2], session.OutputNames[0]]);

        Assert.Equal([session.OutputNames[2], session.OutputNames[0]], results.Select(r => r.Name));
        AssertMatches(Path.Combine(data, "output_2.pb"), results[0]);
        AssertMatches(Path.Combine(data, "output_0.pb"), results[1]);
    }

    public static TheoryData<TensorElementType> SupportedElementTypes() =>
    [
        TensorElementType.Float, TensorElementType.UInt8, TensorElementType.Int8, TensorElementType.UInt16,
        TensorElementType.Int16, TensorElementType.Int32, TensorElementType.Int64, TensorElementType.Bool,
        TensorElementType.Float16, TensorElementType.Double, TensorElementType.UInt32, TensorElementType.UInt64,
    ];

    [Theory]
    [MemberData(nameof(SupportedElementTypes))]
    public void Every_supported_element_type_round_trips_through_identity(TensorElementType type)
    {
        // Extreme values catch truncation or byte-order mistakes in the copies to and from native memory.
        Array data = type switch
        {
            TensorElementType.Float => new[] { 1.5f, -2.25f, 0f, float.MaxValue, float.Epsilon, float.NegativeInfinity },
            TensorElementType.UInt8 => new byte[] { 0, 1, 127, 128, 255, 42 },
            TensorElementType.Int8 => new sbyte[] { -128, -1, 0, 1, 127, 42 },
            TensorElementType.UInt16 => new ushort[] { 0, 1, 255, 256, 65535, 4242 },
            TensorElementType.Int16 => new short[] { short.MinValue, -1, 0, 1, short.MaxValue, 4242 },
            TensorElementType.Int32 => new[] { int.MinValue, -1, 0, 1, int.MaxValue, 1 << 20 },
            TensorElementType.Int64 => new[] { long.MinValue, -1L, 0L, 1L, long.MaxValue, 1L << 40 },
            TensorElementType.Bool => new[] { true, false, false, true, true, false },
            TensorElementType.Float16 => new[] { (Half)1.5f, (Half)(-2.25f), (Half)0f, Half.MaxValue, Half.Epsilon, (Half)1000f },
            TensorElementType.Double => new[] { 1.5, -2.25, 0.0, double.MaxValue, double.Epsilon, 1e-300 },
            TensorElementType.UInt32 => new[] { 0u, 1u, 255u, 65536u, uint.MaxValue, 4242u },
            TensorElementType.UInt64 => new[] { 0ul, 1ul, 255ul, 1ul << 40, ulong.MaxValue, 4242ul },
            _ => throw new ArgumentOutOfRangeException(nameof(type)),
        };
        using var session = new InferenceSession(TinyModels.UnaryOp("Identity", (int)type, 2, 3));

        var result = session.Run([NamedOnnxValue.CreateFromArray("x", data, [2, 3])]).Single();

        Assert.Equal("y", result.Name);
        Assert.Equal(type, result.ElementType);
        Assert.Equal([2L, 3L], result.Shape);
        Assert.Equal(data, result.Data);
        Assert.NotSame(data, result.Data);
    }

    [Fact]
    public void Bool_tensor_goes_through_not()
    {
        using var session = new InferenceSession(TinyModels.UnaryOp("Not", (int)TensorElementType.Bool, 2, 2));

        var result = session.Run([NamedOnnxValue.CreateFromTensor("x", new[] { true, false, false, true }, 2, 2)]).Single();

        Assert.Equal(new[] { false, true, true, false }, result.AsArray<bool>());
    }

    [Fact]
    public void Scalar_and_empty_tensors_round_trip()
    {
        using (var scalarSession = new InferenceSession(TinyModels.UnaryOp("Identity", (int)TensorElementType.Float)))
        {
            var scalar = scalarSession.Run([NamedOnnxValue.CreateFromTensor("x", new[] { 3.25f })]).Single();
            Assert.Empty(scalar.Shape);
            Assert.Equal(new[] { 3.25f }, scalar.AsArray<float>());
        }

        using var emptySession = new InferenceSession(TinyModels.UnaryOp("Identity", (int)TensorElementType.Int64, 0, 3));
        var empty = emptySession.Run([NamedOnnxValue.CreateFromTensor("x", Array.Empty<long>(), 0, 3)]).Single();
        Assert.Equal([0L, 3L], empty.Shape);
        Assert.Empty(empty.AsArray<long>());
    }

    [Fact]
    public void Symbolic_and_unknown_dimensions_are_reported_as_minus_one()
    {
        using var session = new InferenceSession(TinyModels.UnaryOp("Identity", (int)TensorElementType.Float, "batch", 3, null));

        NodeMetadata input = session.InputMetadata["x"];
        Assert.Equal([-1, 3, -1], input.Dimensions);
        Assert.Equal(["batch", "", ""], input.SymbolicDimensions);

        var data = new[] { 1f, 2f, 3f, 4f, 5f, 6f };
        var result = session.Run([NamedOnnxValue.CreateFromTensor("x", data, 2, 3, 1)]).Single();
        Assert.Equal([2L, 3L, 1L], result.Shape);
        Assert.Equal(data, result.AsArray<float>());
    }

    [Fact]
    public void Missing_model_file_reports_onnx_runtime_error()
    {
        string path = Path.Combine(Path.GetTempPath(), $"octet-no-such-model-{Guid.NewGuid():N}.onnx");

        var error = Assert.Throws<OnnxRuntimeException>(() => new InferenceSession(path));

        Assert.Contains(path, error.Message);
        Assert.NotEqual(OrtErrorCode.Ok, error.ErrorCode);
    }

    [Fact]
    public void Corrupt_model_bytes_report_onnx_runtime_error()
    {
        byte[] model = File.ReadAllBytes(MnistPath)[..100];

        var error = Assert.Throws<OnnxRuntimeException>(() => new InferenceSession(model));

        Assert.Equal(OrtErrorCode.InvalidProtobuf, error.ErrorCode);
        Assert.Contains("Protobuf", error.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Unknown_input_name_is_rejected_with_the_real_names()
    {
        using var session = new InferenceSession(MnistPath);

        var error = Assert.Throws<OnnxRuntimeException>(() =>
            session.Run([NamedOnnxValue.CreateFromTensor("image", new float[784], 1, 1, 28, 28)]));

        Assert.Equal(OrtErrorCode.InvalidArgument, error.ErrorCode);
        Assert.Contains("'image'", error.Message);
        Assert.Contains("'Input3'", error.Message);
    }

    [Fact]
    public void Unknown_output_name_is_rejected()
    {
        using var session = new InferenceSession(MnistPath);

        var error = Assert.Throws<OnnxRuntimeException>(() =>
            session.Run([NamedOnnxValue.CreateFromTensor("Input3", new float[784], 1, 1, 28, 28)], ["logits"]));

        Assert.Contains("'logits'", error.Message);
        Assert.Contains("'Plus214_Output_0'", error.Message);
    }

    [Fact]
    public void Wrong_element_type_shape_or_missing_input_are_rejected()
    {
        using var session = new InferenceSession(MnistPath);

        var wrongType = Assert.Throws<OnnxRuntimeException>(() =>
            session.Run([NamedOnnxValue.CreateFromTensor("Input3", new int[784], 1, 1, 28, 28)]));
        Assert.Contains("tensor(int32)", wrongType.Message);

        var wrongShape = Assert.Throws<OnnxRuntimeException>(() =>
            session.Run([NamedOnnxValue.CreateFromTensor("Input3", new float[28 * 28 * 2], 2, 1, 28, 28)]));
        Assert.Contains("Input3", wrongShape.Message);

        var missing = Assert.Throws<OnnxRuntimeException>(() => session.Run([]));
        Assert.Equal(OrtErrorCode.InvalidArgument, missing.ErrorCode);
        Assert.Contains("'Input3'", missing.Message);

        // The session still works after failed runs.
        Assert.Single(session.Run([NamedOnnxValue.CreateFromTensor("Input3", new float[784], 1, 1, 28, 28)]));
    }

    [Fact]
    public void Disposed_session_cannot_run()
    {
        var session = new InferenceSession(MnistPath);
        session.Dispose();
        session.Dispose();

        Assert.Throws<ObjectDisposedException>(() =>
            session.Run([NamedOnnxValue.CreateFromTensor("Input3", new float[784], 1, 1, 28, 28)]));
    }

    [Fact]
    public void Named_value_checks_its_shape_and_element_type()
    {
        Assert.Throws<ArgumentException>(() => NamedOnnxValue.CreateFromTensor("x", new float[5], 2, 3));
        Assert.Throws<ArgumentException>(() => NamedOnnxValue.CreateFromTensor("x", new float[0], -1));
        Assert.Throws<ArgumentException>(() => NamedOnnxValue.CreateFromArray("x", new string[1], [1]));

        var value = NamedOnnxValue.CreateFromTensor("x", new sbyte[] { 1, 2 }, 2);
        Assert.Equal(TensorElementType.Int8, value.ElementType);
        Assert.Throws<InvalidCastException>(() => value.AsArray<byte>());
    }

    /// <summary>Feeds input_K.pb to the session's K-th input and compares every output with output_K.pb.</summary>
    private static string? RunAndCompare(InferenceSession session, string dataFolder)
    {
        var inputs = new List<NamedOnnxValue>();
        for (int k = 0; File.Exists(Path.Combine(dataFolder, $"input_{k}.pb")); k++)
        {
            Tensor tensor = OnnxTensorReader.ReadFile(Path.Combine(dataFolder, $"input_{k}.pb")).Value;
            inputs.Add(OnnxRuntimeReference.ToNamedOnnxValue(session.InputNames[k], tensor));
        }

        var results = session.Run(inputs);

        Assert.Equal(session.OutputNames, results.Select(r => r.Name));
        for (int k = 0; k < results.Count; k++)
        {
            Tensor expected = OnnxTensorReader.ReadFile(Path.Combine(dataFolder, $"output_{k}.pb")).Value;
            string? failure = TensorComparison.Compare(expected, OnnxRuntimeReference.ToTensor(results[k]), Rtol, Atol);
            if (failure is not null)
                return $"output {results[k].Name}: {failure}";
        }
        return null;
    }

    private static void AssertMatches(string expectedPb, NamedOnnxValue actual)
    {
        Tensor expected = OnnxTensorReader.ReadFile(expectedPb).Value;
        string? failure = TensorComparison.Compare(expected, OnnxRuntimeReference.ToTensor(actual), Rtol, Atol);
        Assert.True(failure is null, $"{actual.Name}: {failure}");
    }
}
