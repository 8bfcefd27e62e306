using System.Globalization;
using System.Text;
using Octet.Compiler.Graph;
using Octet.Compiler.Planning;

namespace Octet.Compiler.CodeGeneration;

/// <summary>
/// The human-readable memory report <c>octet compile</c> writes beside the plan: arena size against the lower
/// bound (no placement of these buffers can use less) and the naive sum, then one row per arena tensor.
/// Invariant culture, <c>\n</c> line ends: deterministic like the plan.
/// </summary>
public static class MemoryReport
{
    public static string Write(string model, string numerics, ModelGraph graph, MemoryPlan plan, IReadOnlyDictionary<string, string> layouts)
    {
        var text = new StringBuilder();
        var invariant = CultureInfo.InvariantCulture;
        text.Append(invariant, $"# memory plan of {model} ({numerics})\n");
        text.Append(invariant, $"arena        {plan.ArenaBytes,12} bytes\n");
        text.Append(invariant, $"lower bound  {plan.LowerBoundBytes,12} bytes\n");
        text.Append(invariant, $"naive        {plan.NaiveBytes,12} bytes\n");
        text.Append(invariant, $"ratio        {plan.Ratio,12:F3} (arena / lower bound)\n");
        text.Append(invariant, $"placement    {plan.Placement}\n");
        text.Append(invariant, $"steps        {plan.StepCount}, tensors {plan.Tensors.Count}, buffers {plan.Buffers.Count}\n");
        text.Append('\n');

        // A tensor can have several aliases (a view of one tensor, written as a slice of a Concat output).
        var aliases = plan.Aliases.GroupBy(a => a.Tensor, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => string.Join("; ", g.Select(a => $"{a.Kind} of {a.Of}")), StringComparer.Ordinal);
        var rows = new List<string[]> { new[] { "offset", "bytes", "steps", "type", "shape", "layout", "tensor", "alias" } };
        foreach (var tensor in plan.Tensors.OrderBy(t => t.Offset).ThenBy(t => t.FirstStep).ThenBy(t => t.Name, StringComparer.Ordinal))
        {
            var info = graph.Tensor(tensor.Name);
            rows.Add(
            [
                tensor.Offset.ToString(invariant),
                tensor.SizeBytes.ToString(invariant),
                $"{tensor.FirstStep}..{tensor.LastStep}",
                ElementTypeNames.PlanName(info.ElementType, tensor.Name),
                "[" + string.Join(",", info.Shape.ToArray()) + "]",
                layouts.TryGetValue(tensor.Name, out var layout) ? layout : "rowmajor",
                tensor.Name,
                aliases.TryGetValue(tensor.Name, out var alias) ? alias : "",
            ]);
        }
        var widths = Enumerable.Range(0, rows[0].Length).Select(c => rows.Max(r => r[c].Length)).ToArray();
        foreach (var row in rows)
        {
            var line = new StringBuilder();
            for (int c = 0; c < row.Length; c++)
            {
                // Numbers right-aligned, text left-aligned; the last column is not padded (no trailing spaces).
                string cell = c < 2 ? row[c].PadLeft(widths[c]) : c == row.Length - 1 ? row[c] : row[c].PadRight(widths[c]);
                if (c > 0) line.Append("  ");
                line.Append(cell);
            }
            text.Append(line.ToString().TrimEnd()).Append('\n');
        }
        return text.ToString();
    }
}
