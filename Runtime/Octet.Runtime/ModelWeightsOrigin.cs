namespace Octet.Runtime;

/// <summary>Where the bytes behind a <see cref="ModelWeights"/> are.</summary>
public enum ModelWeightsOrigin
{
    /// <summary>Read in place from an embedded resource in the loaded assembly image.</summary>
    Resource,
    /// <summary>Read in place from a read-only mapped file.</summary>
    MappedFile,
    /// <summary>Copied once into a pinned, 64-byte-aligned block.</summary>
    Copy,
}
