using Octet.Compiler.Diagnostics;
using Octet.Compiler.Graph;
using Xunit;
using static Octet.Tests.Operators.Elementwise.OperatorHarness;

namespace Octet.Tests.Operators.Elementwise;

/// <summary>Shape, Size, Dropout, ConstantOfShape, Range, Constant.</summary>
public sealed class TensorSourceTests
{
    private static readonly Tensor Cube = Tensor.Create(new Shape(2, 3, 4), new float[24]);

    [Fact]
    public void Shape_whole_and_sliced()
    {
        Assert.Equal([2L, 3, 4], Run("Shape", 13, [Cube])[0].As<long>());
        Assert.Equal([3L], Run("Shape", 15, [Cube], attributes: [("start", 1), ("end", -1)])[0].As<long>());
        Assert.Equal([2L, 3, 4], Run("Shape", 15, [Cube], attributes: [("start", -10), ("end", 10)])[0].As<long>());
        Assert.Empty(Run("Shape", 15, [Cube], attributes: [("start", 2), ("end", 1)])[0].As<long>());
    }

    [Fact]
    public void Size_is_an_int64_scalar()
    {
        var size = Run("Size", 13, [Cube])[0];
        Assert.Equal(Shape.Scalar, size.Shape);
        Assert.Equal([24L], size.As<long>());
    }

    [Fact]
    public void Dropout_at_inference_passes_the_input_and_keeps_every_element()
    {
        var x = V(1f, 2);
        var outputs = Run("Dropout", 13, [x, Tensor.Scalar(0.3f)], outputs: 2);
        Assert.Same(x, outputs[0]);
        Assert.Equal([true, true], outputs[1].As<bool>());
        // Before opset 10 the mask has the input's type.
        Assert.Equal([1f, 1], Run("Dropout", 7, [x], outputs: 2, attributes: [("ratio", 0.2f)])[1].As<float>());
    }

    [Fact]
    public void Dropout_in_training_mode_is_rejected()
    {
        var e = Assert.Throws<OctetException>(() => Run("Dropout", 13, [V(1f), Tensor.Scalar(0.5f), Tensor.Scalar(true)]));
        Assert.Contains("training_mode", e.Message);
        // Training mode with ratio 0 drops nothing, so it is fine.
        Assert.Equal([1f], Run("Dropout", 13, [V(1f), Tensor.Scalar(0f), Tensor.Scalar(true)])[0].As<float>());
    }

    [Fact]
    public void ConstantOfShape_defaults_to_float_zero_and_takes_its_value_type()
    {
        var zeros = Run("ConstantOfShape", 20, [V(2L, 3)])[0];
        Assert.Equal(ElementType.Float32, zeros.ElementType);
        Assert.Equal(new float[6], zeros.As<float>());
        var sevens = Run("ConstantOfShape", 20, [V(3L)], attributes: [("value", T([7L], 1))])[0];
        Assert.Equal([7L, 7, 7], sevens.As<long>());
        Assert.Equal(Shape.Scalar, Run("ConstantOfShape", 20, [T(Array.Empty<long>(), 0)])[0].Shape);
    }

    [Fact]
    public void ConstantOfShape_rejects_negative_dims_and_multi_element_values()
    {
        Assert.Contains("negative dimension -1", Assert.Throws<OctetException>(() => Run("ConstantOfShape", 20, [V(2L, -1)])).Message);
        Assert.Contains("exactly one element", Assert.Throws<OctetException>(() =>
            Run("ConstantOfShape", 20, [V(2L)], attributes: [("value", V(1f, 2))])).Message);
    }

    [Fact]
    public void Range_of_floats_and_of_integers_counting_down()
    {
        AssertClose([1f, 1.5f, 2, 2.5f], Run("Range", 11, [Tensor.Scalar(1f), Tensor.Scalar(3f), Tensor.Scalar(0.5f)])[0]);
        // ceil((1 − 10) / −3) = 3 elements: 10, 7, 4.
        Assert.Equal([10, 7, 4], Run("Range", 11, [Tensor.Scalar(10), Tensor.Scalar(1), Tensor.Scalar(-3)])[0].As<int>());
        Assert.Empty(Run("Range", 11, [Tensor.Scalar(5L), Tensor.Scalar(1L), Tensor.Scalar(1L)])[0].As<long>());
    }

    [Fact]
    public void Range_rejects_a_zero_delta_and_runtime_bounds()
    {
        Assert.Contains("delta is 0", Assert.Throws<OctetException>(() =>
            Run("Range", 11, [Tensor.Scalar(1f), Tensor.Scalar(3f), Tensor.Scalar(0f)])).Message);
        Assert.Contains("compile time", Assert.Throws<OctetException>(() =>
            Run("Range", 11, [Tensor.Scalar(1f), Tensor.Scalar(3f), Tensor.Scalar(1f)], runtimeInputs: [1])).Message);
    }

    [Fact]
    public void Constant_from_each_kind_of_attribute()
    {
        Assert.Equal([1.5f, 2], Run("Constant", 13, [], attributes: [("value", V(1.5f, 2))])[0].As<float>());
        var f = Run("Constant", 13, [], attributes: [("value_float", 0.25f)])[0];
        Assert.Equal((ElementType.Float32, Shape.Scalar), (f.ElementType, f.Shape));
        Assert.Equal([3L, 4], Run("Constant", 13, [], attributes: [("value_ints", new long[] { 3, 4 })])[0].As<long>());
        Assert.Equal([5L], Run("Constant", 13, [], attributes: [("value_int", 5L)])[0].As<long>());
        Assert.Equal([1f, 2], Run("Constant", 13, [], attributes: [("value_floats", new[] { 1f, 2 })])[0].As<float>());
    }

    [Fact]
    public void Constant_needs_exactly_one_supported_value()
    {
        Assert.Contains("has no value", Assert.Throws<OctetException>(() => Run("Constant", 13, [])).Message);
        Assert.Contains("several values", Assert.Throws<OctetException>(() =>
            Run("Constant", 13, [], attributes: [("value_int", 1L), ("value_float", 1f)])).Message);
        Assert.Contains("strings", Assert.Throws<OctetException>(() =>
            Run("Constant", 13, [], attributes: [("value_string", "a")])).Message);
        Assert.Contains("from opset 12", Assert.Throws<OctetException>(() =>
            Run("Constant", 11, [], attributes: [("value_int", 1L)])).Message);
    }
}
