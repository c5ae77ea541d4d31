package rules

import (
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/vmnet-webhook/vmnet-webhook/pkg/config"
	"github.com/vmnet-webhook/vmnet-webhook/pkg/vmspec"
)

// bindings are the interface fields that name a binding method.
var bindings = []string{"bridge", "masquerade", "sriov", "slirp", "macvtap", "passt", "passtBinding", "binding"}

// specView is what the rules read of a VM spec, read once, with the
// position of every entry so that paths are built only for messages.
// Mutation changes it as it patches, so that each mutator sees the spec as
// patched so far.
type specView struct {
	// present is false when the object has no spec.
	present bool
	ifaces  []ifaceView
	nets    []netView
	vols    []volView
	// disks are the disks' names, "" for a disk without one.
	disks []string
	// podNet names the pod network; hasPodNet is false without one.
	podNet    string
	hasPodNet bool
	// Where mutation's patches go: whether domain and domain.devices are
	// objects, and whether each list is there (else absent or null).
	hasDomain, hasDevices                             bool
	hasIfaceList, hasNetList, hasVolList, hasDiskList bool
	// autoattachOff is set by devices.autoattachPodInterface: false.
	autoattachOff bool
	// nullEntry is set when a list read has a null entry: mutation leaves
	// such an object alone.
	nullEntry bool
}

type ifaceView struct {
	idx     int
	name    string
	binding string // the binding field set, "" for none
	model   string // "" when absent, which means virtio
	mac     string
	hasMAC  bool
	ports   []portView
	ranges  []rangeView
}

type portView struct {
	idx  int
	port int64
}

type rangeView struct {
	idx        int
	start, end int64
}

type netView struct {
	idx                int
	name               string
	pod                bool
	cidr4, cidr6       string
	hasCIDR4, hasCIDR6 bool
}

// cloudInitView is one cloudInitNoCloud or cloudInitConfigDrive source.
type cloudInitView struct {
	key string // cloudInitNoCloud or cloudInitConfigDrive
	// sources lists the network data fields set, in field order.
	sources       []string
	networkData   string
	networkData64 string
}

type volView struct {
	idx        int
	name       string
	cloudInits []cloudInitView
}

// cloudInitKeys are the volume sources that carry cloud-init, in the order
// a volume's views list them.
var cloudInitKeys = []string{"cloudInitNoCloud", "cloudInitConfigDrive"}

// networkDataSources are the ways a cloud-init volume gives network data.
var networkDataSources = []string{"networkData", "networkDataBase64", "networkDataSecretRef"}

func readSpec(o *object, rd *reader) *specView {
	s := &specView{}
	if o.spec == nil {
		return s
	}
	s.present = true
	sp := o.specPath
	devPath := func() *field.Path { return sp.Child("domain", "devices") }
	if domain := rd.object(o.spec.Get("domain"), func() *field.Path { return sp.Child("domain") }); domain != nil {
		s.hasDomain = true
		if devices := rd.object(domain.Get("devices"), devPath); devices != nil {
			s.hasDevices = true
			auto, ok := rd.boolean(devices.Get("autoattachPodInterface"), func() *field.Path { return devPath().Child("autoattachPodInterface") })
			s.autoattachOff = ok && !auto
			ifacesPath := func() *field.Path { return devPath().Child("interfaces") }
			list := rd.list(devices.Get("interfaces"), ifacesPath)
			s.hasIfaceList = list != nil
			s.ifaces = make([]ifaceView, 0, len(list))
			for i, raw := range list {
				s.nullEntry = s.nullEntry || raw == nil
				if iv, ok := readIface(raw, i, func() *field.Path { return ifacesPath().Index(i) }, rd); ok {
					s.ifaces = append(s.ifaces, iv)
				}
			}
			disksPath := func() *field.Path { return devPath().Child("disks") }
			disks := rd.list(devices.Get("disks"), disksPath)
			s.hasDiskList = disks != nil
			for i, raw := range disks {
				s.nullEntry = s.nullEntry || raw == nil
				if d := rd.object(raw, func() *field.Path { return disksPath().Index(i) }); d != nil {
					name, _ := rd.str(d.Get("name"), func() *field.Path { return disksPath().Index(i).Child("name") })
					s.disks = append(s.disks, name)
				}
			}
		}
	}
	netsPath := func() *field.Path { return sp.Child("networks") }
	nets := rd.list(o.spec.Get("networks"), netsPath)
	s.hasNetList = nets != nil
	s.nets = make([]netView, 0, len(nets))
	for i, raw := range nets {
		s.nullEntry = s.nullEntry || raw == nil
		if nv, ok := readNet(raw, i, func() *field.Path { return netsPath().Index(i) }, rd); ok {
			s.nets = append(s.nets, nv)
			if nv.pod && !s.hasPodNet {
				s.podNet, s.hasPodNet = nv.name, true
			}
		}
	}
	volsPath := func() *field.Path { return sp.Child("volumes") }
	vols := rd.list(o.spec.Get("volumes"), volsPath)
	s.hasVolList = vols != nil
	for i, raw := range vols {
		s.nullEntry = s.nullEntry || raw == nil
		if vv, ok := readVol(raw, i, func() *field.Path { return volsPath().Index(i) }, rd); ok {
			s.vols = append(s.vols, vv)
		}
	}
	return s
}

func readIface(raw any, i int, path func() *field.Path, rd *reader) (ifaceView, bool) {
	m := rd.object(raw, path)
	if m == nil {
		return ifaceView{}, false
	}
	iv := ifaceView{idx: i}
	iv.name, _ = rd.str(m.Get("name"), func() *field.Path { return path().Child("name") })
	iv.model, _ = rd.str(m.Get("model"), func() *field.Path { return path().Child("model") })
	iv.mac, iv.hasMAC = rd.str(m.Get("macAddress"), func() *field.Path { return path().Child("macAddress") })
	for _, b := range bindings {
		if rd.object(m.Get(b), func() *field.Path { return path().Child(b) }) != nil && iv.binding == "" {
			iv.binding = b
		}
	}
	portsPath := func() *field.Path { return path().Child("ports") }
	for j, p := range rd.list(m.Get("ports"), portsPath) {
		pm := rd.object(p, func() *field.Path { return portsPath().Index(j) })
		if pm == nil {
			continue
		}
		if n, ok := rd.integer(pm.Get("port"), func() *field.Path { return portsPath().Index(j).Child("port") }); ok {
			iv.ports = append(iv.ports, portView{idx: j, port: n})
		}
	}
	rangesPath := func() *field.Path { return path().Child("portRanges") }
	for j, r := range rd.list(m.Get("portRanges"), rangesPath) {
		rm := rd.object(r, func() *field.Path { return rangesPath().Index(j) })
		if rm == nil {
			continue
		}
		start, okS := rd.integer(rm.Get("start"), func() *field.Path { return rangesPath().Index(j).Child("start") })
		end, okE := rd.integer(rm.Get("end"), func() *field.Path { return rangesPath().Index(j).Child("end") })
		if okS && okE {
			iv.ranges = append(iv.ranges, rangeView{idx: j, start: start, end: end})
		}
	}
	return iv, true
}

func readNet(raw any, i int, path func() *field.Path, rd *reader) (netView, bool) {
	m := rd.object(raw, path)
	if m == nil {
		return netView{}, false
	}
	nv := netView{idx: i}
	nv.name, _ = rd.str(m.Get("name"), func() *field.Path { return path().Child("name") })
	podPath := func() *field.Path { return path().Child("pod") }
	pod := rd.object(m.Get("pod"), podPath)
	if pod == nil {
		return nv, true
	}
	nv.pod = true
	nv.cidr4, nv.hasCIDR4 = rd.str(pod.Get("vmNetworkCIDR"), func() *field.Path { return podPath().Child("vmNetworkCIDR") })
	nv.cidr6, nv.hasCIDR6 = rd.str(pod.Get("vmIPv6NetworkCIDR"), func() *field.Path { return podPath().Child("vmIPv6NetworkCIDR") })
	return nv, true
}

func readVol(raw any, i int, path func() *field.Path, rd *reader) (volView, bool) {
	m := rd.object(raw, path)
	if m == nil {
		return volView{}, false
	}
	vv := volView{idx: i}
	vv.name, _ = rd.str(m.Get("name"), func() *field.Path { return path().Child("name") })
	for _, key := range cloudInitKeys {
		ciPath := func() *field.Path { return path().Child(key) }
		ci := rd.object(m.Get(key), ciPath)
		if ci == nil {
			continue
		}
		cv := cloudInitView{key: key}
		if s, ok := rd.str(ci.Get("networkData"), func() *field.Path { return ciPath().Child("networkData") }); ok {
			cv.networkData = s
			cv.sources = append(cv.sources, "networkData")
		}
		if s, ok := rd.str(ci.Get("networkDataBase64"), func() *field.Path { return ciPath().Child("networkDataBase64") }); ok {
			cv.networkData64 = s
			cv.sources = append(cv.sources, "networkDataBase64")
		}
		if rd.object(ci.Get("networkDataSecretRef"), func() *field.Path { return ciPath().Child("networkDataSecretRef") }) != nil {
			cv.sources = append(cv.sources, "networkDataSecretRef")
		}
		vv.cloudInits = append(vv.cloudInits, cv)
	}
	return vv, true
}

// readOldSpec reads the stored object of an UPDATE leniently: it was
// admitted before, and its flaws are not this request's to report.
func readOldSpec(data []byte, shape vmspec.Shape, decode decodeFunc, quick bool) *specView {
	if _, s, ok := quickReadIf(quick, data, shape); ok {
		return s
	}
	root, err := decode(data, objectSchema)
	if err != nil {
		return &specView{}
	}
	return readSpec(readObject(root, shape, nil), nil)
}

// validation is one Validate call's state.
type validation struct {
	cfg    config.Config
	decode decodeFunc
	quick  bool // read with quickRead where it can
	obj    *object
	spec   *specView
	// The stored object of an UPDATE, decoded only when a rule needs it.
	oldRaw   []byte
	hasOld   bool
	old      *specView
	findings []finding
	warnings []string
	// ratcheted is set by a rule that warned only for ratcheted ports.
	ratcheted bool
}

// masquerade says whether an interface is, or will be, bound by
// masquerade: it says so, or it is on the pod network with no binding and
// Mutate gives it masquerade (the object is neither opted out nor
// controller-owned). An object Mutate leaves alone for a wrong type or a
// null list entry counts too: it is refused as it stands, and once mended
// it is patched, so its port errors are reported with the type errors.
func (v *validation) masquerade(iv ifaceView) bool {
	if iv.binding == "masquerade" {
		return true
	}
	return iv.binding == "" && v.onPod(iv) && !v.obj.optedOut && !v.obj.controllerOwned
}

func (v *validation) onPod(iv ifaceView) bool {
	return v.spec.hasPodNet && iv.name == v.spec.podNet
}

func (v *validation) ifacePath(iv ifaceView) *field.Path {
	return v.obj.specPath.Child("domain", "devices", "interfaces").Index(iv.idx)
}

func (v *validation) deny(err *field.Error, short string) {
	v.findings = append(v.findings, finding{err: err, short: short})
}

func (v *validation) warn(path *field.Path, msg string) {
	v.warnings = append(v.warnings, v.fit(path.String(), msg))
}

func (v *validation) fit(path, msg string) string {
	return fit(v.obj.specPath.String(), path, msg)
}

// oldSpec returns the stored object's spec view on UPDATE, nil otherwise.
func (v *validation) oldSpec() *specView {
	if v.hasOld && v.old == nil {
		v.old = readOldSpec(v.oldRaw, v.obj.shape, v.decode, v.quick)
	}
	return v.old
}
