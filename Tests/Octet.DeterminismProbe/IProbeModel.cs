namespace Octet.DeterminismProbe;

/// <summary>What the probe needs of a generated class: one float input, one float output, and its arena's bytes.</summary>
public interface IProbeModel
{
    int InputCount { get; }
    int OutputCount { get; }
    void Run(ReadOnlySpan<float> input, Span<float> output);

    /// <summary>The whole arena after a run: the last contents of every intermediate tensor.</summary>
    ReadOnlySpan<byte> ArenaContents();
}
