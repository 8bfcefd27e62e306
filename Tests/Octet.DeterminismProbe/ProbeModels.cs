namespace Octet.DeterminismProbe;

// The generated classes are partial: these declarations add the probe's view of each, through the class's
// own private arena accessor (nothing is copied or exposed beyond this app).

public sealed partial class Mnist8Int8 : IProbeModel
{
    public int InputCount => InputLength;
    public int OutputCount => OutputLength;
    public ReadOnlySpan<byte> ArenaContents() => Arena<byte>(0, ArenaBytes);
}

public sealed partial class SqueezeNetInt8 : IProbeModel
{
    public int InputCount => InputLength;
    public int OutputCount => OutputLength;
    public ReadOnlySpan<byte> ArenaContents() => Arena<byte>(0, ArenaBytes);
}

public sealed partial class MobileNetV3SmallQdq : IProbeModel
{
    public int InputCount => InputLength;
    public int OutputCount => OutputLength;
    public ReadOnlySpan<byte> ArenaContents() => Arena<byte>(0, ArenaBytes);
}

public sealed partial class ShuffleNetV2Int8 : IProbeModel
{
    public int InputCount => InputLength;
    public int OutputCount => OutputLength;
    public ReadOnlySpan<byte> ArenaContents() => Arena<byte>(0, ArenaBytes);
}
