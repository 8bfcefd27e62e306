using Octet.Compiler.Operators;
using Xunit;

namespace Octet.Tests.Operators.NeuralNetwork;

/// <summary>The version lists of the neural-network and reduction operators, checked against the ONNX changelog.</summary>
public sealed class OperatorVersionTests
{
    [Theory]
    [InlineData("Conv", new[] { 1, 11, 22 })]
    [InlineData("ConvTranspose", new[] { 1, 11, 22 })]
    [InlineData("Gemm", new[] { 1, 6, 7, 9, 11, 13 })]
    [InlineData("MatMul", new[] { 1, 9, 13 })]
    [InlineData("MaxPool", new[] { 1, 8, 10, 11, 12, 22 })]
    [InlineData("AveragePool", new[] { 1, 7, 10, 11, 19, 22 })]
    [InlineData("GlobalAveragePool", new[] { 1, 22 })]
    [InlineData("GlobalMaxPool", new[] { 1, 22 })]
    [InlineData("BatchNormalization", new[] { 1, 6, 7, 9, 14, 15 })]
    [InlineData("LayerNormalization", new[] { 17 })]
    [InlineData("Softmax", new[] { 1, 11, 13 })]
    [InlineData("LogSoftmax", new[] { 1, 11, 13 })]
    [InlineData("Gelu", new[] { 20 })]
    [InlineData("Resize", new[] { 10, 11, 13, 18, 19 })]
    [InlineData("Pad", new[] { 1, 2, 11, 13, 18, 19, 21, 23, 24, 25 })]
    [InlineData("ReduceMean", new[] { 1, 11, 13, 18 })]
    [InlineData("ReduceSum", new[] { 1, 11, 13 })]
    [InlineData("ReduceMax", new[] { 1, 11, 12, 13, 18, 20 })]
    [InlineData("ReduceMin", new[] { 1, 11, 12, 13, 18, 20 })]
    public void Since_versions_match_the_onnx_changelog(string opType, int[] expected)
    {
        var definition = OperatorRegistry.Default.Find("", opType);
        Assert.NotNull(definition);
        Assert.Equal(expected, definition.SinceVersions);
        Assert.Equal(expected, definition.ImplementedVersions);
    }

    [Fact]
    public void A_model_opset_resolves_to_the_newest_version_not_after_it()
    {
        Assert.Equal(11, OperatorRegistry.Default.ResolveVersion("", "Softmax", 12));
        Assert.Equal(13, OperatorRegistry.Default.ResolveVersion("", "ReduceSum", 17));
        Assert.Equal(18, OperatorRegistry.Default.ResolveVersion("", "ReduceMean", 25));
        Assert.Null(OperatorRegistry.Default.ResolveVersion("", "Gelu", 19));
    }
}
