package rules

// What quickRead reads of a VM spec: the view the rules read (specView),
// filled as readSpec fills it from the tree.

func (q *quickReader) spec(name []byte, seen *uint64) bool {
	s := q.s
	switch string(name) {
	case "domain":
		var seenDomain uint64
		var ok bool
		s.hasDomain, ok = q.object(func(name []byte) bool {
			if string(name) != "devices" {
				return q.skip()
			}
			var ok bool
			s.hasDevices, ok = q.object(q.devices())
			return ok && once(&seenDomain, 0)
		})
		return ok && once(seen, 50)
	case "networks":
		var ok bool
		s.hasNetList, ok = q.list(func(i int) bool {
			nv := netView{idx: i}
			ok := q.network(&nv)
			s.nets = append(s.nets, nv)
			if nv.pod && !s.hasPodNet {
				s.podNet, s.hasPodNet = nv.name, true
			}
			return ok
		})
		return ok && once(seen, 51)
	case "volumes":
		var ok bool
		s.hasVolList, ok = q.list(func(i int) bool {
			vv := volView{idx: i}
			ok := q.volume(&vv)
			s.vols = append(s.vols, vv)
			return ok
		})
		return ok && once(seen, 52)
	}
	return q.skip()
}

// devices reads the members of domain.devices.
func (q *quickReader) devices() func(name []byte) bool {
	s := q.s
	var seen uint64
	return func(name []byte) bool {
		var ok bool
		switch string(name) {
		case "autoattachPodInterface":
			var auto, present bool
			auto, present, ok = q.boolean()
			s.autoattachOff = present && !auto
			return ok && once(&seen, 0)
		case "interfaces":
			s.hasIfaceList, ok = q.list(func(i int) bool {
				iv := ifaceView{idx: i}
				ok := q.iface(&iv)
				s.ifaces = append(s.ifaces, iv)
				return ok
			})
			return ok && once(&seen, 1)
		case "disks":
			s.hasDiskList, ok = q.list(func(int) bool {
				var name string
				var seenDisk uint64
				ok := q.members(func(member []byte) bool {
					if string(member) != "name" {
						return q.skip()
					}
					var ok bool
					name, _, ok = q.str()
					return ok && once(&seenDisk, 0)
				})
				s.disks = append(s.disks, name)
				return ok
			})
			return ok && once(&seen, 2)
		}
		return q.skip()
	}
}

func (q *quickReader) iface(iv *ifaceView) bool {
	var seen, bound uint64
	ok := q.members(func(name []byte) bool {
		var ok bool
		switch string(name) {
		case "name":
			iv.name, _, ok = q.str()
			return ok && once(&seen, 0)
		case "model":
			iv.model, _, ok = q.str()
			return ok && once(&seen, 1)
		case "macAddress":
			iv.mac, iv.hasMAC, ok = q.str()
			return ok && once(&seen, 2)
		case "ports":
			return once(&seen, 3) && q.elements(func(j int) bool {
				var seenPort uint64
				return q.members(func(name []byte) bool {
					if string(name) != "port" {
						return q.skip()
					}
					n, present, ok := q.integer()
					if present {
						iv.ports = append(iv.ports, portView{idx: j, port: n})
					}
					return ok && once(&seenPort, 0)
				})
			})
		case "portRanges":
			return once(&seen, 4) && q.elements(func(j int) bool {
				r := rangeView{idx: j}
				var seenRange uint64
				var hasStart, hasEnd bool
				ok := q.members(func(name []byte) bool {
					var ok bool
					switch string(name) {
					case "start":
						r.start, hasStart, ok = q.integer()
						return ok && once(&seenRange, 0)
					case "end":
						r.end, hasEnd, ok = q.integer()
						return ok && once(&seenRange, 1)
					}
					return q.skip()
				})
				if hasStart && hasEnd {
					iv.ranges = append(iv.ranges, r)
				}
				return ok
			})
		default:
			b := indexOf(bindings, string(name))
			if b < 0 {
				return q.skip()
			}
			present, ok := q.object(func([]byte) bool { return q.skip() })
			if present {
				bound |= 1 << b
			}
			return ok && once(&seen, 8+b)
		}
	})
	if bound != 0 {
		for b := range bindings {
			if bound&(1<<b) != 0 {
				iv.binding = bindings[b]
				break
			}
		}
	}
	return ok
}

func (q *quickReader) network(nv *netView) bool {
	var seen uint64
	return q.members(func(name []byte) bool {
		switch string(name) {
		case "name":
			var ok bool
			nv.name, _, ok = q.str()
			return ok && once(&seen, 0)
		case "pod":
			var seenPod uint64
			pod, ok := q.object(func(name []byte) bool {
				var ok bool
				switch string(name) {
				case "vmNetworkCIDR":
					nv.cidr4, nv.hasCIDR4, ok = q.str()
					return ok && once(&seenPod, 0)
				case "vmIPv6NetworkCIDR":
					nv.cidr6, nv.hasCIDR6, ok = q.str()
					return ok && once(&seenPod, 1)
				}
				return q.skip()
			})
			nv.pod = pod
			return ok && once(&seen, 1)
		}
		return q.skip()
	})
}

// volume reads a volume's cloud-init sources, in readVol's order whatever
// the input's.
func (q *quickReader) volume(vv *volView) bool {
	var seen uint64
	var sources [2]*cloudInitView
	ok := q.members(func(name []byte) bool {
		if string(name) == "name" {
			var ok bool
			vv.name, _, ok = q.str()
			return ok && once(&seen, 2)
		}
		i := indexOf(cloudInitKeys, string(name))
		if i < 0 {
			return q.skip()
		}
		cv := &cloudInitView{key: cloudInitKeys[i]}
		var seenCI uint64
		var has [3]bool // networkDataSources
		present, ok := q.object(func(name []byte) bool {
			var ok bool
			switch string(name) {
			case "networkData":
				cv.networkData, has[0], ok = q.str()
				return ok && once(&seenCI, 0)
			case "networkDataBase64":
				cv.networkData64, has[1], ok = q.str()
				return ok && once(&seenCI, 1)
			case "networkDataSecretRef":
				has[2], ok = q.object(func([]byte) bool { return q.skip() })
				return ok && once(&seenCI, 2)
			}
			return q.skip()
		})
		if present {
			for b, src := range networkDataSources {
				if has[b] {
					cv.sources = append(cv.sources, src)
				}
			}
			sources[i] = cv
		}
		return ok && once(&seen, i)
	})
	for _, cv := range sources {
		if cv != nil {
			vv.cloudInits = append(vv.cloudInits, *cv)
		}
	}
	return ok
}
