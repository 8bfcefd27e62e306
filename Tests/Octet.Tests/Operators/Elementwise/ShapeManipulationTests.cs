using Octet.Compiler.Diagnostics;
using Octet.Compiler.Graph;
using Xunit;
using static Octet.Tests.Operators.Elementwise.OperatorHarness;

namespace Octet.Tests.Operators.Elementwise;

/// <summary>Reshape, Flatten, Squeeze, Unsqueeze, Transpose, Identity: shapes and where each value lands.</summary>
public sealed class ShapeManipulationTests
{
    private static readonly Tensor Twelve = T(Enumerable.Range(0, 12).Select(i => (float)i).ToArray(), 2, 3, 2);

    [Fact]
    public void Reshape_copies_zero_dims_and_infers_minus_one()
    {
        var y = Run("Reshape", 14, [Twelve, V(0L, -1)])[0];
        Assert.Equal(new Shape(2, 6), y.Shape);
        Assert.Equal(Twelve.As<float>(), y.As<float>());
        Assert.Equal(new Shape(12), Run("Reshape", 14, [Twelve, V(-1L)])[0].Shape);
        Assert.Equal(Shape.Scalar, Run("Reshape", 14, [V(7f), T(Array.Empty<long>(), 0)])[0].Shape);
    }

    [Fact]
    public void Reshape_with_allowzero_keeps_zero_dims()
    {
        var empty = Tensor.Create(new Shape(0, 3, 4), Array.Empty<float>());
        Assert.Equal(new Shape(3, 4, 0), Run("Reshape", 14, [empty, V(3L, 4, 0)], attributes: [("allowzero", 1)])[0].Shape);
    }

    [Fact]
    public void Reshape_rejects_bad_target_shapes()
    {
        static string Fails(long[] shape, int allowZero = 0) =>
            Assert.Throws<OctetException>(() => Run("Reshape", 14, [Twelve, V(shape)], attributes: [("allowzero", allowZero)])).Message;
        Assert.Contains("more than one -1", Fails([-1, -1]));
        Assert.Contains("(12 elements) to [5,2] (10 elements)", Fails([5, 2]));
        Assert.Contains("do not divide", Fails([5, -1]));
        Assert.Contains("has rank 3", Fails([2, 3, 2, 0]));
        Assert.Contains("invalid dimension -2", Fails([-2, 6]));
        Assert.Contains("both 0 and -1", Fails([0, -1], allowZero: 1));
    }

    [Fact]
    public void Reshape_needs_its_shape_at_compile_time()
    {
        var e = Assert.Throws<OctetException>(() => Run("Reshape", 14, [Twelve, V(12L)], runtimeInputs: [1]));
        Assert.Contains("node 'n' (Reshape, opset 14)", e.Message);
        Assert.Contains("compile time", e.Message);
    }

    [Fact]
    public void Reshape_version_1_takes_the_shape_attribute()
    {
        Assert.Equal(new Shape(3, 4), Run("Reshape", 4, [Twelve], attributes: [("shape", new long[] { 3, -1 })])[0].Shape);
    }

    [Fact]
    public void Flatten_at_each_axis()
    {
        Assert.Equal(new Shape(1, 12), Run("Flatten", 13, [Twelve], attributes: [("axis", 0)])[0].Shape);
        Assert.Equal(new Shape(2, 6), Run("Flatten", 13, [Twelve])[0].Shape);
        Assert.Equal(new Shape(6, 2), Run("Flatten", 13, [Twelve], attributes: [("axis", -1)])[0].Shape);
        Assert.Equal(new Shape(12, 1), Run("Flatten", 13, [Twelve], attributes: [("axis", 3)])[0].Shape);
        var e = Assert.Throws<OctetException>(() => Run("Flatten", 13, [Twelve], attributes: [("axis", 4)]));
        Assert.Contains("axis 4 is out of range [-3, 3]", e.Message);
        e = Assert.Throws<OctetException>(() => Run("Flatten", 9, [Twelve], attributes: [("axis", -1)]));
        Assert.Contains("[0, 3]", e.Message);
    }

    [Fact]
    public void Squeeze_all_or_listed_size_one_axes()
    {
        var x = Tensor.Create(new Shape(1, 3, 1, 2), new float[6]);
        Assert.Equal(new Shape(3, 2), Run("Squeeze", 13, [x])[0].Shape);
        Assert.Equal(new Shape(1, 3, 2), Run("Squeeze", 13, [x, V(-2L)])[0].Shape);
        Assert.Equal(new Shape(3, 1, 2), Run("Squeeze", 11, [x], attributes: [("axes", new long[] { 0 })])[0].Shape);
        var e = Assert.Throws<OctetException>(() => Run("Squeeze", 13, [x, V(1L)]));
        Assert.Contains("cannot squeeze axis 1", e.Message);
        e = Assert.Throws<OctetException>(() => Run("Squeeze", 13, [x, V(4L)]));
        Assert.Contains("out of range", e.Message);
    }

    [Fact]
    public void Unsqueeze_inserts_axes_in_the_output_positions()
    {
        var x = V(1f, 2, 3);
        Assert.Equal(new Shape(1, 3, 1), Run("Unsqueeze", 13, [x, V(0L, -1)])[0].Shape);
        Assert.Equal(new Shape(3, 1, 1), Run("Unsqueeze", 13, [x, V(2L, 1)])[0].Shape);
        Assert.Equal(new Shape(1, 3), Run("Unsqueeze", 11, [x], attributes: [("axes", new long[] { 0 })])[0].Shape);
        var e = Assert.Throws<OctetException>(() => Run("Unsqueeze", 13, [x, V(0L, 0)]));
        Assert.Contains("twice", e.Message);
        e = Assert.Throws<OctetException>(() => Run("Unsqueeze", 13, [x, V(3L)]));
        Assert.Contains("out of range [-2, 1]", e.Message);
        e = Assert.Throws<OctetException>(() => Run("Unsqueeze", 11, [x]));
        Assert.Contains("'axes' is missing", e.Message);
    }

    [Fact]
    public void Transpose_reverses_by_default_and_follows_perm()
    {
        // [2,3] → [3,2]: y[j,i] = x[i,j].
        var x = T([1f, 2, 3, 4, 5, 6], 2, 3);
        var y = Run("Transpose", 13, [x])[0];
        Assert.Equal(new Shape(3, 2), y.Shape);
        Assert.Equal([1f, 4, 2, 5, 3, 6], y.As<float>());

        // [2,3,2] with perm [1,0,2]: y[j,i,k] = x[i,j,k]; rows of two stay together.
        var z = Run("Transpose", 13, [Twelve], attributes: [("perm", new long[] { 1, 0, 2 })])[0];
        Assert.Equal(new Shape(3, 2, 2), z.Shape);
        Assert.Equal([0f, 1, 6, 7, 2, 3, 8, 9, 4, 5, 10, 11], z.As<float>());
    }

    [Fact]
    public void Transpose_rejects_what_is_not_a_permutation()
    {
        var e = Assert.Throws<OctetException>(() => Run("Transpose", 13, [Twelve], attributes: [("perm", new long[] { 0, 0, 1 })]));
        Assert.Contains("not a permutation", e.Message);
        e = Assert.Throws<OctetException>(() => Run("Transpose", 13, [Twelve], attributes: [("perm", new long[] { 1, 0 })]));
        Assert.Contains("has 2 entries but the input has rank 3", e.Message);
    }

    [Fact]
    public void Identity_passes_any_type_through()
    {
        var x = T([true, false], 2);
        Assert.Same(x, Run("Identity", 21, [x])[0]);
    }
}
