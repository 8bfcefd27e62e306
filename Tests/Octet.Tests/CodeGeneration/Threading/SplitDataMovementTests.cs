using Octet.Generator.Emit;
using Octet.Generator.Plan;
using Octet.Runtime.Threading;
using Octet.Tests.CodeGeneration.Generator;
using Octet.Tests.CodeGeneration.Runtime;
using Xunit;
using static Octet.Tests.CodeGeneration.Generator.TestPlanBuilder;

namespace Octet.Tests.CodeGeneration.Threading;

/// <summary>
/// 8-bit Concats and MaxPools large enough to split into work units (ConcatEmitter.SplitBytes,
/// MaxPoolEmitter.SplitWindowReads) give the definition's values with no worker team and with teams of 2 and 3. The
/// generated source is checked to split, so the comparison cannot pass on the unsplit path; expected values come from
/// plain index arithmetic here (Concat) and the test-side MaxPool definition (<see cref="MaxPoolKernelTests.Expected{T}"/>).
/// </summary>
public sealed class SplitDataMovementTests
{
    /// <summary>Two int8 tensors in NHWC concatenated along a logical NCHW axis (1: channels, 2: rows), batch 2.</summary>
    [Theory]
    [InlineData(1, 32, 32)]
    [InlineData(2, 48, 40)]
    public void A_split_nhwc_concat_copies_every_value_whatever_the_team(int axis, int extentA, int extentB)
    {
        int[] shapeA = axis == 1 ? [2, extentA, 48, 48] : [2, 32, extentA, 48];
        int[] shapeB = axis == 1 ? [2, extentB, 48, 48] : [2, 32, extentB, 48];
        int[] shapeC = (int[])shapeA.Clone();
        shapeC[axis] = extentA + extentB;
        var b = new TestPlanBuilder("concat-split", ModelPlan.IntegerOnly);
        b.Input("a", b.Arena("a", "int8", shapeA));
        b.Input("b", b.Arena("b", "int8", shapeB));
        b.Arena("an", "int8", shapeA, "NHWC");
        b.Arena("bn", "int8", shapeB, "NHWC");
        b.Arena("cn", "int8", shapeC, "NHWC");
        b.Output("c", b.Arena("c", "int8", shapeC));
        b.Op("octet.Relayout", "ra", ["a"], ["an"]);
        b.Op("octet.Relayout", "rb", ["b"], ["bn"]);
        b.Op("Concat", "concat", ["an", "bn"], ["cn"], Int("axis", axis));
        b.Op("octet.Relayout", "rc", ["cn"], ["c"]);
        var plan = b.Build();
        Assert.True(Count(shapeC) >= Octet.Generator.Emit.DataMovement.ConcatEmitter.SplitBytes, "the test's Concat must be above the split threshold");

        var a = Values(Count(shapeA), seed: 1);
        var bb = Values(Count(shapeB), seed: 2);
        // NCHW (rowmajor) concatenation by index arithmetic.
        var expected = new sbyte[Count(shapeC)];
        for (int i = 0; i < expected.Length; i++)
        {
            int[] index = Unravel(i, shapeC);
            if (index[axis] < extentA) expected[i] = a[Ravel(index, shapeA)];
            else
            {
                index[axis] -= extentA;
                expected[i] = bb[Ravel(index, shapeB)];
            }
        }
        foreach (var output in RunWithTeams(plan, "Op2_concat", [a, bb], Count(shapeC)))
            Assert.Equal(expected, output);
    }

    [Fact]
    public void A_split_maxpool_pools_every_row_whatever_the_team()
    {
        const int n = 2, c = 64, h = 48, w = 46, k = 3, stride = 2, pad = 1;
        int oh = (h + 2 * pad - k) / stride + 1, ow = (w + 2 * pad - k) / stride + 1;
        var b = new TestPlanBuilder("maxpool-split", ModelPlan.IntegerOnly);
        b.Input("x", b.Arena("x", "int8", [n, c, h, w]));
        b.Arena("xn", "int8", [n, c, h, w], "NHWC");
        b.Arena("yn", "int8", [n, c, oh, ow], "NHWC");
        b.Output("y", b.Arena("y", "int8", [n, c, oh, ow]));
        b.Op("octet.Relayout", "to_nhwc", ["x"], ["xn"]);
        b.Op("MaxPool", "pool", ["xn"], ["yn"], Ints("kernel_shape", k, k), Ints("strides", stride, stride), Ints("pads", pad, pad, pad, pad));
        b.Op("octet.Relayout", "to_rowmajor", ["yn"], ["y"]);
        var plan = b.Build();
        Assert.True((long)n * c * oh * ow * k * k >= Octet.Generator.Emit.DataMovement.MaxPoolEmitter.SplitWindowReads, "the test's MaxPool must be above the split threshold");

        var x = Values(n * c * h * w, seed: 3);
        // The definition works on NHWC: move the NCHW input there and the pooled values back.
        var xNhwc = new sbyte[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            int[] index = Unravel(i, [n, c, h, w]);
            xNhwc[Ravel([index[0], index[2], index[3], index[1]], [n, h, w, c])] = x[i];
        }
        var pooled = MaxPoolKernelTests.Expected(xNhwc, n, h, w, c, oh, ow, k, stride, 1, pad, sbyte.MinValue);
        var expected = new sbyte[pooled.Length];
        for (int i = 0; i < expected.Length; i++)
        {
            int[] index = Unravel(i, [n, c, oh, ow]);
            expected[i] = pooled[Ravel([index[0], index[2], index[3], index[1]], [n, oh, ow, c])];
        }
        foreach (var output in RunWithTeams(plan, "Op1_pool", [x], expected.Length))
            Assert.Equal(expected, output);
    }

    /// <summary>The plan's output with no team, then with teams of 2 and 3 threads (each run twice on one instance).</summary>
    private static IEnumerable<sbyte[]> RunWithTeams(ModelPlan plan, string splitMethod, sbyte[][] inputs, int outputLength)
    {
        var source = ModelClassEmitter.Emit(plan, "Octet.Tests.Generated", "SplitModel").Source;
        Assert.Contains($"private void {splitMethod}_Units(int first, int end)", source, StringComparison.Ordinal);
        var model = GeneratedModel.Build(plan, className: "SplitModel");
        var teamProperty = model.Type.GetProperty("Team")!;
        foreach (int threads in new[] { 1, 2, 3 })
        {
            using var team = threads > 1 ? new WorkerTeam(threads) : null;
            var instance = model.Create([]);
            teamProperty.SetValue(instance, team);
            var output = new sbyte[outputLength];
            model.RunDelegate(instance, inputs.Cast<Array>().ToArray(), [output]);
            Array.Fill(output, (sbyte)0);
            model.RunDelegate(instance, inputs.Cast<Array>().ToArray(), [output]);
            yield return output;
        }
    }

    private static int Count(int[] shape) => shape.Aggregate(1, (a, d) => a * d);

    private static sbyte[] Values(int count, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => (sbyte)random.Next(-128, 128)).ToArray();
    }

    private static int[] Unravel(int flat, int[] shape)
    {
        var index = new int[shape.Length];
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            index[d] = flat % shape[d];
            flat /= shape[d];
        }
        return index;
    }

    private static int Ravel(int[] index, int[] shape)
    {
        int flat = 0;
        for (int d = 0; d < shape.Length; d++) flat = flat * shape[d] + index[d];
        return flat;
    }
}
