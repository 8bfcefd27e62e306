using Octet.Compiler.Operators;
using Xunit;

namespace Octet.Tests.Operators.Elementwise;

public sealed class OperatorVersionTests
{
    public static readonly string[] Operators =
    [
        "Add", "Sub", "Mul", "Div", "Pow", "Sqrt", "Erf", "Exp", "Log", "Neg", "Abs", "Reciprocal", "Round", "Min", "Max",
        "Sum", "Equal", "Less", "Where", "Cast", "CastLike", "Relu", "LeakyRelu", "PRelu", "Sigmoid", "Tanh", "HardSigmoid",
        "HardSwish", "Clip", "Reshape", "Transpose", "Flatten", "Squeeze", "Unsqueeze", "Concat", "Split", "Slice", "Gather",
        "Expand", "Shape", "Size", "Identity", "Dropout", "ConstantOfShape", "Range", "Constant",
    ];

    [Fact]
    public void Every_operator_is_registered_with_ascending_versions_up_to_25()
    {
        foreach (var opType in Operators)
        {
            var definition = OperatorRegistry.Default.Find("", opType);
            Assert.True(definition is not null, $"{opType} is not registered");
            var versions = definition!.SinceVersions;
            Assert.True(versions.SequenceEqual(versions.Order().Distinct()), $"{opType}: versions not ascending");
            Assert.All(versions, v => Assert.InRange(v, 1, 25));
            Assert.All(definition.ImplementedVersions, v => Assert.Contains(v, versions));
        }
    }

    [Theory]
    // Spot checks against the ONNX changelog: (op, opset, resolved version).
    [InlineData("Add", 13, 13)]
    [InlineData("Add", 25, 14)]
    [InlineData("Clip", 12, 12)]
    [InlineData("Reshape", 20, 19)]
    [InlineData("Cast", 25, 25)]
    [InlineData("Split", 17, 13)]
    [InlineData("Range", 25, 11)]
    [InlineData("Round", 21, 11)]
    [InlineData("ConstantOfShape", 22, 21)]
    public void Opsets_resolve_to_the_changelog_versions(string opType, int opset, int version)
    {
        Assert.Equal(version, OperatorRegistry.Default.ResolveVersion("", opType, opset));
    }
}
