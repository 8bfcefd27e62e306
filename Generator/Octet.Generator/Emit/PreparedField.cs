namespace Octet.Generator.Emit
{
    /// <summary>A field of the generated class that its constructor computes once for an op (<see cref="OpEmitContext.Prepare"/>).</summary>
    public sealed class PreparedField
    {
        public PreparedField(string type, string name, string initializer)
        {
            Type = type;
            Name = name;
            Initializer = initializer;
        }

        public string Type { get; }
        public string Name { get; }
        public string Initializer { get; }
    }
}
