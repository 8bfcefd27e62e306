namespace Octet.Compiler.Planning;

/// <summary>How a tensor's bytes relate to another tensor's bytes in the arena.</summary>
public enum AliasKind
{
    /// <summary>Reshape/Flatten/Squeeze/Unsqueeze/Identity: the same bytes as its input, read in the same order.</summary>
    View,
    /// <summary>An element-wise op wrote its output over an input that dies at that op.</summary>
    InPlace,
    /// <summary>A Concat input written directly into its slice of the Concat output (the alias is "of" the output).</summary>
    ConcatSlice,
}

/// <summary>
/// A deliberate sharing of bytes: <see cref="Tensor"/> sits inside the bytes of <see cref="Of"/> (View,
/// InPlace: at the same offset and size; ConcatSlice: <see cref="Of"/> is the Concat output and
/// <see cref="Tensor"/> its input, at the input's slice). For a view the generator runs no kernel; for a
/// concat slice the Concat kernel skips that input; an in-place op reads and writes the same bytes.
/// </summary>
public sealed record TensorAlias(string Tensor, AliasKind Kind, string Of)
{
    public override string ToString() => $"{Tensor} {Kind} of {Of}";
}

/// <summary>
/// Where one non-constant tensor lives. Steps are node indices in execution order; graph inputs are
/// written at step −1 (copied in before the first node) and graph outputs stay live through step
/// <see cref="MemoryPlan.StepCount"/> (copied out after the last node). <see cref="FirstStep"/> and
/// <see cref="LastStep"/> are the tensor's own lifetime; its buffer may live longer.
/// </summary>
public sealed record PlannedTensor(string Name, long Offset, long SizeBytes, int FirstStep, int LastStep, int Buffer)
{
    public override string ToString() => $"{Name}: [{Offset}, {Offset + SizeBytes}) steps {FirstStep}..{LastStep} buffer {Buffer}";
}

/// <summary>
/// One arena region: the tensors that share it through aliasing, the union of their lifetimes, and its
/// size rounded up to <see cref="MemoryPlan.Alignment"/>.
/// </summary>
public sealed record PlannedBuffer(int Index, long Offset, long SizeBytes, int FirstStep, int LastStep, IReadOnlyList<string> Tensors);

/// <summary>
/// The static memory plan of a graph: every non-constant tensor (graph inputs and outputs included) at a
/// fixed offset of one arena. Constants are not here: they live in the packed weights.
/// </summary>
/// <param name="ArenaBytes">The arena size the placement needs.</param>
/// <param name="LowerBoundBytes">
/// The peak, over steps, of the bytes of buffers live at the same time (after aliasing, each rounded to the
/// alignment): no placement of these buffers can use less.
/// </param>
/// <param name="NaiveBytes">The sum of all non-constant tensor sizes: one private region per tensor, no reuse.</param>
/// <param name="StepCount">The number of nodes.</param>
/// <param name="Placement">The buffer ordering whose best-fit placement was kept.</param>
public sealed record MemoryPlan(
    long ArenaBytes, long LowerBoundBytes, long NaiveBytes, int StepCount, string Placement,
    IReadOnlyList<PlannedTensor> Tensors, IReadOnlyList<PlannedBuffer> Buffers, IReadOnlyList<TensorAlias> Aliases)
{
    /// <summary>Every buffer offset is a multiple of this (a cache line; also what SIMD loads like).</summary>
    public const int Alignment = 64;

    public PlannedTensor Tensor(string name) =>
        Tensors.FirstOrDefault(t => t.Name == name) ?? throw new KeyNotFoundException($"tensor '{name}' is not in the memory plan");

    /// <summary>Arena size over the lower bound (1.0 = optimal for these buffers).</summary>
    public double Ratio => LowerBoundBytes == 0 ? 1.0 : (double)ArenaBytes / LowerBoundBytes;

    public static long AlignUp(long bytes) => (bytes + Alignment - 1) / Alignment * Alignment;
}
