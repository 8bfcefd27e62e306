using Octet.Compiler.Diagnostics;
using Octet.Compiler.Graph;
using Xunit;
using static Octet.Tests.Operators.Elementwise.OperatorHarness;

namespace Octet.Tests.Operators.Elementwise;

/// <summary>Slice, Gather, Concat, Split, Expand.</summary>
public sealed class SlicingTests
{
    // x[i,j] = 10·i + j, shape [3,4].
    private static readonly Tensor Grid = T([0, 1, 2, 3, 10, 11, 12, 13, 20, 21, 22, 23], 3, 4);

    [Fact]
    public void Slice_with_steps_and_negative_indices()
    {
        // Rows 0..2 step 2, columns from −3 to the end: x[0:3:2, 1:4].
        var y = Run("Slice", 13, [Grid, V(0L, -3), V(3L, long.MaxValue), V(0L, 1), V(2L, 1)])[0];
        Assert.Equal(new Shape(2, 3), y.Shape);
        Assert.Equal([1, 2, 3, 21, 22, 23], y.As<int>());
    }

    [Fact]
    public void Slice_backwards_clamps_to_the_ends()
    {
        // x[:, ::-1] via start −1, end INT64_MIN, step −1 on axis 1.
        var y = Run("Slice", 13, [Grid, V(-1L), V(long.MinValue), V(1L), V(-1L)])[0];
        Assert.Equal([3, 2, 1, 0, 13, 12, 11, 10, 23, 22, 21, 20], y.As<int>());
        // Start beyond the end is clamped to the last element: x[2:0:-1] on axis 0 → rows 2, 1.
        var rows = Run("Slice", 13, [Grid, V(100L), V(0L), V(0L), V(-1L)])[0];
        Assert.Equal([20, 21, 22, 23, 10, 11, 12, 13], rows.As<int>());
    }

    [Fact]
    public void Slice_can_be_empty()
    {
        var y = Run("Slice", 13, [Grid, V(3L), V(1L), V(1L)])[0];
        Assert.Equal(new Shape(3, 0), y.Shape);
    }

    [Fact]
    public void Slice_version_1_takes_attributes()
    {
        var y = Run("Slice", 9, [Grid], attributes: [("starts", new long[] { 1 }), ("ends", new long[] { 2 })])[0];
        Assert.Equal([10, 11, 12, 13], y.As<int>());
    }

    [Fact]
    public void Slice_rejects_zero_steps_repeated_axes_and_mismatched_lengths()
    {
        Assert.Contains("step for axis 0 is 0", Assert.Throws<OctetException>(() => Run("Slice", 13, [Grid, V(0L), V(1L), V(0L), V(0L)])).Message);
        Assert.Contains("sliced twice", Assert.Throws<OctetException>(() => Run("Slice", 13, [Grid, V(0L, 0), V(1L, 1), V(1L, -1)])).Message);
        Assert.Contains("ends has 1", Assert.Throws<OctetException>(() => Run("Slice", 13, [Grid, V(0L, 0), V(1L)])).Message);
        Assert.Contains("out of range", Assert.Throws<OctetException>(() => Run("Slice", 13, [Grid, V(0L), V(1L), V(2L)])).Message);
    }

    [Fact]
    public void Gather_along_an_inner_axis_with_negative_indices()
    {
        // Columns −1 and 0, as a [1,2] index tensor: output [3,1,2].
        var y = Run("Gather", 13, [Grid, T([-1L, 0], 1, 2)], attributes: [("axis", 1)])[0];
        Assert.Equal(new Shape(3, 1, 2), y.Shape);
        Assert.Equal([3, 0, 13, 10, 23, 20], y.As<int>());
    }

    [Fact]
    public void Gather_with_a_scalar_index_drops_the_axis()
    {
        var y = Run("Gather", 13, [Grid, Tensor.Scalar(2)])[0];
        Assert.Equal(new Shape(4), y.Shape);
        Assert.Equal([20, 21, 22, 23], y.As<int>());
    }

    [Fact]
    public void Gather_rejects_out_of_range_indices()
    {
        // Known at compile time: found by shape inference.
        var e = Assert.Throws<OctetException>(() => Run("Gather", 13, [Grid, V(3L)]));
        Assert.Contains("index 3 is out of range [-3, 2]", e.Message);
        // Known only when running: found by the kernel, still naming the node.
        e = Assert.Throws<OctetException>(() => Run("Gather", 13, [Grid, V(-4L)], runtimeInputs: [1]));
        Assert.Contains("node 'n'", e.Message);
        Assert.Contains("index -4", e.Message);
    }

    [Fact]
    public void Concat_along_the_last_axis_and_a_negative_axis()
    {
        var y = Run("Concat", 13, [T([1, 2, 3, 4], 2, 2), T([5, 6], 2, 1)], attributes: [("axis", -1)])[0];
        Assert.Equal(new Shape(2, 3), y.Shape);
        Assert.Equal([1, 2, 5, 3, 4, 6], y.As<int>());
        var b = Run("Concat", 13, [T([true], 1), T([false, true], 2)], attributes: [("axis", 0)])[0];
        Assert.Equal([true, false, true], b.As<bool>());
    }

    [Fact]
    public void Concat_rejects_mismatched_shapes_and_a_missing_axis()
    {
        var e = Assert.Throws<OctetException>(() => Run("Concat", 13, [T([1, 2, 3, 4], 2, 2), T([5, 6, 7], 3, 1)], attributes: [("axis", 1)]));
        Assert.Contains("does not match", e.Message);
        e = Assert.Throws<OctetException>(() => Run("Concat", 13, [T([1], 1), T([2], 1)]));
        Assert.Contains("'axis' is missing", e.Message);
    }

    [Fact]
    public void Split_into_equal_parts_and_by_sizes()
    {
        var parts = Run("Split", 13, [Grid], outputs: 3);
        Assert.Equal([10, 11, 12, 13], parts[1].As<int>());
        var columns = Run("Split", 13, [Grid, V(1L, 3)], outputs: 2, attributes: [("axis", 1)]);
        Assert.Equal([0, 10, 20], columns[0].As<int>());
        Assert.Equal(new Shape(3, 3), columns[1].Shape);
        Assert.Equal([1, 2, 3, 11, 12, 13, 21, 22, 23], columns[1].As<int>());
    }

    [Fact]
    public void Split_by_num_outputs_makes_the_last_part_smaller()
    {
        // Length 5 in 3 parts: ceil(5/3) = 2, 2, 1.
        var parts = Run("Split", 18, [V(1f, 2, 3, 4, 5)], outputs: 3, attributes: [("num_outputs", 3)]);
        Assert.Equal([1f, 2], parts[0].As<float>());
        Assert.Equal([3f, 4], parts[1].As<float>());
        Assert.Equal([5f], parts[2].As<float>());
    }

    [Fact]
    public void Split_rejects_sizes_that_do_not_fit()
    {
        Assert.Contains("summing to 3", Assert.Throws<OctetException>(() => Run("Split", 13, [Grid, V(1L, 1)], outputs: 2)).Message);
        Assert.Contains("has 2 sizes but the node has 3 outputs", Assert.Throws<OctetException>(() => Run("Split", 13, [Grid, V(1L, 2)], outputs: 3)).Message);
        Assert.Contains("equal parts", Assert.Throws<OctetException>(() => Run("Split", 13, [Grid], outputs: 2)).Message);
        Assert.Contains("num_outputs is 2", Assert.Throws<OctetException>(() => Run("Split", 18, [Grid], outputs: 3, attributes: [("num_outputs", 2)])).Message);
    }

    [Fact]
    public void Expand_broadcasts_in_both_directions()
    {
        // [3,1] against [2,1,4] → [2,3,4]: each row value repeated 4 times, the whole twice.
        var y = Run("Expand", 13, [T([1, 2, 3], 3, 1), V(2L, 1, 4)])[0];
        Assert.Equal(new Shape(2, 3, 4), y.Shape);
        var expected = new[] { 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3 };
        Assert.Equal(expected.Concat(expected), y.As<int>());
        var e = Assert.Throws<OctetException>(() => Run("Expand", 13, [T([1, 2, 3], 3, 1), V(2L, 4)]));
        Assert.Contains("cannot be broadcast to [2,4]", e.Message);
    }
}
