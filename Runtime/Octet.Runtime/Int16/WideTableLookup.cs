namespace Octet.Runtime.Int16;

/// <summary>
/// <c>octet.Table</c> on an int16 input: <c>y[i] = table[x[i] + 32768]</c>, a table of 65,536 entries (entry i for the
/// input value i − 32768). The generated code passes the table from the weights blob (128 KiB for an int16 output
/// would bloat the generated source as a literal). One bounds-checked read per element: the index is in
/// [0, 65535] by construction and the table length is checked once.
/// </summary>
public static class WideTableLookup
{
    /// <summary>The number of entries: one per int16 value.</summary>
    public const int Entries = 1 << 16;

    /// <summary>Looks every element up. <paramref name="x"/> and <paramref name="y"/> may not share bytes unless both are int16.</summary>
    /// <param name="x">The int16 input.</param>
    /// <param name="table">The 65,536-entry table (int8, uint8 or int16).</param>
    /// <param name="y">The output, as long as <paramref name="x"/>.</param>
    public static void Apply<TY>(ReadOnlySpan<short> x, ReadOnlySpan<TY> table, Span<TY> y) where TY : unmanaged
    {
        if (table.Length != Entries) throw new ArgumentException($"WideTableLookup: a table of {table.Length} entries; expected {Entries}");
        if (x.Length != y.Length) throw new ArgumentException($"WideTableLookup: {x.Length} inputs for {y.Length} outputs");
        for (int i = 0; i < x.Length; i++) y[i] = table[x[i] + 32768];
    }
}
