using System.Globalization;
using Octet.Compiler.Graph;
using Octet.Generator.Plan;
using Attribute = Octet.Compiler.Graph.Attribute;

namespace Octet.Tests.CodeGeneration;

/// <summary>ONNX node attributes as a plan spells them (the kernel tests build one-op plans from reference nodes).</summary>
internal static class PlanAttributes
{
    public static PlanAttribute From(Attribute attribute)
    {
        static string F(float f) => PlanText.Float(f);
        static string I(long i) => i.ToString(CultureInfo.InvariantCulture);
        return attribute.Kind switch
        {
            AttributeKind.Int => new(attribute.Name, PlanAttributeKind.Int, new[] { I((long)attribute.Value!) }.ToEquatableArray()),
            AttributeKind.Ints => new(attribute.Name, PlanAttributeKind.Ints, ((long[])attribute.Value!).Select(I).ToEquatableArray()),
            AttributeKind.Float => new(attribute.Name, PlanAttributeKind.Float, new[] { F((float)attribute.Value!) }.ToEquatableArray()),
            AttributeKind.Floats => new(attribute.Name, PlanAttributeKind.Floats, ((float[])attribute.Value!).Select(F).ToEquatableArray()),
            AttributeKind.String => new(attribute.Name, PlanAttributeKind.String, new[] { (string)attribute.Value! }.ToEquatableArray()),
            _ => throw new ArgumentException($"attribute '{attribute.Name}' is a {attribute.Kind}; a plan holds int, ints, float, floats and string attributes only"),
        };
    }

    /// <summary>All of <paramref name="attributes"/>, sorted by name as plan attribute lines are.</summary>
    public static EquatableArray<PlanAttribute> Sorted(IEnumerable<Attribute> attributes) =>
        attributes.Select(From).OrderBy(a => a.Name, StringComparer.Ordinal).ToEquatableArray();
}
