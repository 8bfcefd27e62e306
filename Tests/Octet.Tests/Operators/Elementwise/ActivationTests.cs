using Octet.Compiler.Diagnostics;
using Octet.Compiler.Graph;
using Xunit;
using static Octet.Tests.Operators.Elementwise.OperatorHarness;

namespace Octet.Tests.Operators.Elementwise;

public sealed class ActivationTests
{
    [Fact]
    public void Relu_of_floats_and_of_int8_from_opset_14()
    {
        AssertClose([0f, 0, 2.5f], Run("Relu", 14, [V(-1f, 0, 2.5f)])[0]);
        Assert.Equal([(sbyte)0, (sbyte)3], Run("Relu", 14, [T(new sbyte[] { -128, 3 }, 2)])[0].As<sbyte>());
        var e = Assert.Throws<OctetException>(() => Infer("Relu", 13, [(ElementType.Int8, new Shape(2))]));
        Assert.Contains("int8", e.Message);
    }

    [Fact]
    public void LeakyRelu_with_default_and_given_alpha()
    {
        AssertClose([-0.02f, 0, 3], Run("LeakyRelu", 16, [V(-2f, 0, 3)])[0]);
        AssertClose([-1f, 3], Run("LeakyRelu", 16, [V(-2f, 3)], attributes: [("alpha", 0.5f)])[0]);
    }

    [Fact]
    public void PRelu_broadcasts_a_per_channel_slope()
    {
        // X [1,2,1,2], slope [2,1,1]: channel 0 slope 0.1, channel 1 slope 0.5.
        var y = Run("PRelu", 16, [T([-10f, 10, -10, 10], 1, 2, 1, 2), T([0.1f, 0.5f], 2, 1, 1)])[0];
        AssertClose([-1f, 10, -5, 10], y);
        Assert.Equal([-6L, 3], Run("PRelu", 16, [V(-3L, 3), V(2L)])[0].As<long>());
    }

    [Fact]
    public void PRelu_slope_must_broadcast_to_the_input()
    {
        var e = Assert.Throws<OctetException>(() => Infer("PRelu", 16, [(ElementType.Float32, new Shape(2)), (ElementType.Float32, new Shape(2, 2))]));
        Assert.Contains("cannot be broadcast to the input's shape [2]", e.Message);
        e = Assert.Throws<OctetException>(() => Infer("PRelu", 16, [(ElementType.Float32, new Shape(2, 2)), (ElementType.Float32, new Shape(3))]));
        Assert.Contains("node 'n'", e.Message);
    }

    [Fact]
    public void Sigmoid_and_tanh_of_known_values()
    {
        // σ(2) = 1/(1+e⁻²) = 0.880797; σ(−100) underflows toward 0 without NaN; tanh(1) = 0.761594.
        AssertClose([0.5f, 0.88079708f, 0.11920292f, 0, 1], Run("Sigmoid", 13, [V(0f, 2, -2, -100, 100)])[0]);
        AssertClose([0f, 0.76159416f, -0.76159416f, 1], Run("Tanh", 13, [V(0f, 1, -1, 50)])[0]);
    }

    [Fact]
    public void HardSigmoid_with_defaults_and_attributes()
    {
        // max(0, min(1, 0.2x + 0.5))
        AssertClose([0f, 0.5f, 0.7f, 1], Run("HardSigmoid", 22, [V(-3f, 0, 1, 3)])[0]);
        AssertClose([0f, 0.1f, 0.6f, 1], Run("HardSigmoid", 22, [V(-2f, -1, 0, 1)], attributes: [("alpha", 0.5f), ("beta", 0.6f)])[0]);
    }

    [Fact]
    public void HardSwish_of_known_values()
    {
        // x · max(0, min(1, x/6 + 1/2)): −4 → 0, −1 → −1/3, 1 → 2/3, 4 → 4.
        AssertClose([0f, -1f / 3, 0, 2f / 3, 4], Run("HardSwish", 22, [V(-4f, -1, 0, 1, 4)])[0]);
    }

    [Fact]
    public void Clip_with_scalar_inputs_and_an_omitted_min()
    {
        AssertClose([-1f, 0.5f, 1], Run("Clip", 13, [V(-2f, 0.5f, 3), Tensor.Scalar(-1f), Tensor.Scalar(1f)])[0]);
        AssertClose([-5f, 1], Run("Clip", 13, [V(-5f, 3), null, Tensor.Scalar(1f)])[0]);
    }

    [Fact]
    public void Clip_with_min_above_max_gives_max_everywhere()
    {
        AssertClose([1f, 1, 1], Run("Clip", 13, [V(-2f, 0.5f, 3), Tensor.Scalar(2f), Tensor.Scalar(1f)])[0]);
    }

    [Fact]
    public void Clip_of_int8_without_bounds_is_the_identity()
    {
        Assert.Equal([(sbyte)-128, (sbyte)127], Run("Clip", 13, [T(new sbyte[] { -128, 127 }, 2)])[0].As<sbyte>());
        Assert.Equal([(sbyte)-3, (sbyte)5], Run("Clip", 13, [T(new sbyte[] { -128, 127 }, 2), T(new sbyte[] { -3 }), T(new sbyte[] { 5 })])[0].As<sbyte>());
    }

    [Fact]
    public void Clip_before_opset_11_takes_attributes()
    {
        AssertClose([0f, 0.5f, 6], Run("Clip", 7, [V(-2f, 0.5f, 8)], attributes: [("min", 0f), ("max", 6f)])[0]);
    }

    [Fact]
    public void Clip_bounds_must_be_scalars_of_the_input_type()
    {
        var e = Assert.Throws<OctetException>(() => Infer("Clip", 13,
            [(ElementType.Float32, new Shape(4)), (ElementType.Float32, new Shape(2)), null]));
        Assert.Contains("must be a scalar", e.Message);
        e = Assert.Throws<OctetException>(() => Infer("Clip", 13,
            [(ElementType.Float32, new Shape(4)), (ElementType.Int32, Shape.Scalar), null]));
        Assert.Contains("must match", e.Message);
    }
}
