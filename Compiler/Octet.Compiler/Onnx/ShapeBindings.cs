using Octet.Compiler.Diagnostics;

namespace Octet.Compiler.Onnx;

/// <summary>
/// User-given static shapes for graph inputs (<c>--shape x=1x3x224x224</c>, repeatable): they bind the
/// input's dynamic dimensions. A binding must agree with every dimension the model fixes.
/// </summary>
public sealed class ShapeBindings
{
    private readonly Dictionary<string, int[]> _shapes = new(StringComparer.Ordinal);

    public IReadOnlyDictionary<string, int[]> Shapes => _shapes;

    public void Add(string input, int[] dims)
    {
        if (!_shapes.TryAdd(input, dims))
            throw new OctetException($"--shape: input '{input}' is bound twice");
    }

    /// <summary>Parses <c>name=1x3x224x224</c> (also accepts commas: <c>name=1,3,224,224</c>).</summary>
    public static (string Name, int[] Dims) ParseBinding(string text)
    {
        int eq = text.LastIndexOf('=');
        if (eq <= 0 || eq == text.Length - 1)
            throw new OctetException($"--shape '{text}': expected NAME=DIMS, e.g. x=1x3x224x224");
        var name = text[..eq];
        var parts = text[(eq + 1)..].Split('x', ',');
        var dims = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            if (!int.TryParse(parts[i], out dims[i]) || dims[i] <= 0)
                throw new OctetException($"--shape '{text}': dimension '{parts[i]}' is not a positive integer");
        }
        return (name, dims);
    }

    public static ShapeBindings Parse(IEnumerable<string> texts)
    {
        var bindings = new ShapeBindings();
        foreach (var text in texts)
        {
            var (name, dims) = ParseBinding(text);
            bindings.Add(name, dims);
        }
        return bindings;
    }
}
