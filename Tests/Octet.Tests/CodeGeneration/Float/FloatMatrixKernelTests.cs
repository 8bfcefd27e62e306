using Octet.Compiler.Graph;
using Octet.Generator.Emit.Float;
using Octet.Generator.Plan;
using Xunit;
using static Octet.Tests.CodeGeneration.Float.FloatKernelHarness;

namespace Octet.Tests.CodeGeneration.Float;

/// <summary>
/// Generated float32 Gemm and MatMul kernels against the reference executor. Against NK-packed weights each
/// output is a dot product summed in another order than the reference: relative 1e-5 of the output range (the
/// tolerance stated on Octet.Runtime.FloatDot). Against a rowmajor B the kernel follows the reference's
/// i-k-j order exactly, so those results must be bit-identical.
/// </summary>
public sealed class FloatMatrixKernelTests
{
    private const double Tolerance = 1e-5;

    /// <summary>B's logical [K, N] value for the plan, packed NK: the ONNX B itself when transB=1 ([N, K] is already [N][K]).</summary>
    private static Tensor Transposed(Tensor b)
    {
        int rows = b.Shape[0], columns = b.Shape[1];
        var values = b.As<float>();
        var result = new float[values.Length];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < columns; c++) result[c * rows + r] = values[r * columns + c];
        return Tensor.Create(new Shape(columns, rows), result);
    }

    [Fact]
    public void Gemm_with_packed_weights_and_a_row_bias()
    {
        var inputs = new Operand?[]
        {
            new("a", Random(1, 3, 37)),
            new("b", Random(2, 37, 10), "NK", PlanStorage.Weights),
            new("c", Random(3, 10), Storage: PlanStorage.Weights),
        };
        AssertAgrees(Run(new FloatGemmEmitter(), "Gemm", 13, inputs, "rowmajor"), Tolerance);
    }

    [Fact]
    public void Gemm_with_transB_folded_into_the_packing_alpha_beta_and_a_column_bias()
    {
        // ONNX B is [N, K] with transB=1; the plan's B is the logical [K, N] packed NK (the same bytes) and has no transB.
        var b = Random(2, 6, 20);
        var inputs = new Operand?[]
        {
            new("a", Random(1, 4, 20)),
            new("b", b, "NK", PlanStorage.Weights, PlanValue: Transposed(b)),
            new("c", Random(3, 4, 1), Storage: PlanStorage.Weights),
        };
        var attributes = new[] { Int("transB", 1), FloatAttr("alpha", 0.5f), FloatAttr("beta", -2f) };
        var planAttributes = new[]
        {
            new PlanAttribute("alpha", PlanAttributeKind.Float, new EquatableArray<string>(["0.5"])),
            new PlanAttribute("beta", PlanAttributeKind.Float, new EquatableArray<string>(["-2"])),
        };
        AssertAgrees(Run(new FloatGemmEmitter(), "Gemm", 13, inputs, "rowmajor", attributes, planAttributes: planAttributes), Tolerance);
    }

    [Fact]
    public void Gemm_with_two_activations_is_bit_identical()
    {
        // B rowmajor [K, N] from the arena; C a full [M, N] matrix; and a scalar C.
        var inputs = new Operand?[] { new("a", Random(1, 5, 9)), new("b", Random(2, 9, 7)), new("c", Random(3, 5, 7)) };
        AssertAgrees(Run(new FloatGemmEmitter(), "Gemm", 13, inputs, "rowmajor", [FloatAttr("alpha", 1.5f)]), 0);
        var scalarC = new Operand?[] { new("a", Random(1, 5, 9)), new("b", Random(2, 9, 7)), new("c", Random(3, 1), Storage: PlanStorage.Inline) };
        AssertAgrees(Run(new FloatGemmEmitter(), "Gemm", 13, scalarC, "rowmajor", [FloatAttr("beta", 0.25f)]), 0);
    }

    [Fact]
    public void Gemm_with_transB_on_a_rowmajor_B_and_no_C()
    {
        var inputs = new Operand?[] { new("a", Random(1, 2, 18)), new("b", Random(2, 5, 18)) };
        AssertAgrees(Run(new FloatGemmEmitter(), "Gemm", 13, inputs, "rowmajor", [Int("transB", 1)]), Tolerance);
    }

    [Fact]
    public void Gemm_reports_transA_instead_of_computing_it()
    {
        var problems = FloatEmitterProblems.Of(new FloatGemmEmitter(), "Gemm",
            [FloatEmitterProblems.Tensor("a", [4, 3], "rowmajor"), FloatEmitterProblems.Tensor("b", [4, 5], "rowmajor")],
            FloatEmitterProblems.Tensor("y", [3, 5], "rowmajor"),
            new PlanAttribute("transA", PlanAttributeKind.Int, new EquatableArray<string>(["1"])));
        Assert.Contains(problems, p => p.Contains("transA"));
    }

    [Fact]
    public void MatMul_with_packed_weights_flattens_batch_axes_into_rows()
    {
        var inputs = new Operand?[] { new("a", Random(1, 2, 3, 50)), new("b", Random(2, 50, 17), "NK", PlanStorage.Weights) };
        AssertAgrees(Run(new FloatMatMulEmitter(), "MatMul", 13, inputs, "rowmajor"), Tolerance);
        var vector = new Operand?[] { new("a", Random(1, 50)), new("b", Random(2, 50, 17), "NK", PlanStorage.Weights) };
        AssertAgrees(Run(new FloatMatMulEmitter(), "MatMul", 13, vector, "rowmajor"), Tolerance);
    }

    [Theory]
    [InlineData(new[] { 2, 3, 4, 5 }, new[] { 2, 3, 5, 6 })]
    [InlineData(new[] { 2, 1, 4, 5 }, new[] { 3, 5, 6 })]
    [InlineData(new[] { 4, 5 }, new[] { 3, 2, 5, 6 })]
    [InlineData(new[] { 3, 1, 4, 5 }, new[] { 1, 2, 5, 6 })]
    [InlineData(new[] { 5 }, new[] { 2, 5, 6 })]
    [InlineData(new[] { 2, 4, 5 }, new[] { 5 })]
    [InlineData(new[] { 5 }, new[] { 5 })]
    public void MatMul_of_two_activations_broadcasts_batches_bit_identically(int[] a, int[] b)
    {
        var inputs = new Operand?[] { new("a", Random(1, a)), new("b", Random(2, b)) };
        AssertAgrees(Run(new FloatMatMulEmitter(), "MatMul", 13, inputs, "rowmajor"), 0);
    }
}
