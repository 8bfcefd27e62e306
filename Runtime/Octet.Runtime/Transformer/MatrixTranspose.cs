using System.Runtime.CompilerServices;

namespace Octet.Runtime.Transformer;

/// <summary>
/// Transposes a row-major matrix: what Q·Kᵀ and A·V need before every output becomes one SIMD dot product of two
/// contiguous rows (<see cref="Int8.Int8Dot"/>), since their right operand is an activation stored [K][N].
/// </summary>
public static class MatrixTranspose
{
    /// <summary><paramref name="destination"/>[c · rows + r] = <paramref name="source"/>[r · columns + c].</summary>
    /// <param name="source">The matrix, <paramref name="rows"/> × <paramref name="columns"/>, row-major.</param>
    /// <param name="rows">Rows of the source.</param>
    /// <param name="columns">Columns of the source.</param>
    /// <param name="destination">The transposed matrix, <paramref name="columns"/> × <paramref name="rows"/>; must not overlap the source.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Transpose<T>(ReadOnlySpan<T> source, int rows, int columns, Span<T> destination) where T : unmanaged
    {
        if (rows < 0 || columns < 0 || source.Length < rows * columns || destination.Length < rows * columns)
            throw new ArgumentException($"MatrixTranspose: a {rows} x {columns} matrix needs {rows * columns} elements in source ({source.Length}) and destination ({destination.Length})");
        // Blocks of 16 x 16 keep both the rows read and the rows written in cache for long matrices.
        const int block = 16;
        for (int r0 = 0; r0 < rows; r0 += block)
        {
            int r1 = Math.Min(r0 + block, rows);
            for (int c0 = 0; c0 < columns; c0 += block)
            {
                int c1 = Math.Min(c0 + block, columns);
                for (int r = r0; r < r1; r++)
                {
                    var row = source.Slice(r * columns, columns);
                    for (int c = c0; c < c1; c++) destination[c * rows + r] = row[c];
                }
            }
        }
    }
}
