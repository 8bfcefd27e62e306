using System.Text;

namespace Octet.Tests;

/// <summary>A short, readable account of where two texts first differ (for snapshot failures).</summary>
public static class ApprovalDiff
{
    /// <summary>The line counts, then up to <paramref name="context"/> lines from the first differing line of each text.</summary>
    public static string FirstDifference(string expected, string actual, int context = 8)
    {
        var a = expected.Split('\n');
        var b = actual.Split('\n');
        int first = 0;
        while (first < a.Length && first < b.Length && a[first] == b[first]) first++;
        var text = new StringBuilder();
        text.AppendLine($"verified has {a.Length} lines, received {b.Length}; first difference at line {first + 1}:");
        for (int i = first; i < Math.Min(a.Length, first + context); i++) text.AppendLine($"- {i + 1,5}: {a[i]}");
        for (int i = first; i < Math.Min(b.Length, first + context); i++) text.AppendLine($"+ {i + 1,5}: {b[i]}");
        return text.ToString();
    }
}
