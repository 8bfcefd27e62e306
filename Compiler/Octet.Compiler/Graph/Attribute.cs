namespace Octet.Compiler.Graph;

public enum AttributeKind { Float, Int, String, Tensor, Floats, Ints, Strings, Graph }

/// <summary>
/// A node attribute with its ONNX type. Values: <c>float</c>, <c>long</c>, <c>string</c>, <see cref="Tensor"/>,
/// <c>float[]</c>, <c>long[]</c>, <c>string[]</c>. Graph-valued attributes (If/Loop/Scan bodies) are recorded
/// by kind only: no supported operator takes one.
/// </summary>
public sealed record Attribute(string Name, AttributeKind Kind, object? Value)
{
    public override string ToString() => Kind switch
    {
        AttributeKind.Float => $"{Name}={Format((float)Value!)}",
        AttributeKind.Int => $"{Name}={Value}",
        AttributeKind.String => $"{Name}=\"{Value}\"",
        AttributeKind.Tensor => $"{Name}=<{Value}>",
        AttributeKind.Floats => $"{Name}=[{string.Join(",", ((float[])Value!).Select(Format))}]",
        AttributeKind.Ints => $"{Name}=[{string.Join(",", (long[])Value!)}]",
        AttributeKind.Strings => $"{Name}=[{string.Join(",", ((string[])Value!).Select(s => $"\"{s}\""))}]",
        _ => $"{Name}=<graph>",
    };

    private static string Format(float f) => f.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
}
