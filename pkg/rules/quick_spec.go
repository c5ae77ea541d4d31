package rules

// What quickRead reads of a VM spec: the view validation checks
// (specView), filled as readSpec fills it from the tree.

func (q *quickReader) spec(name []byte, seen *uint64) bool {
	s := q.s
	switch string(name) {
	case "domain":
		var seenDomain uint64
		return once(seen, 50) && q.members(func(name []byte) bool {
			if string(name) != "devices" {
				return q.skip()
			}
			var seenDevices uint64
			return once(&seenDomain, 0) && q.members(func(name []byte) bool {
				if string(name) != "interfaces" {
					return q.skip()
				}
				return once(&seenDevices, 0) && q.list(func(i int) bool {
					iv := ifaceView{idx: i}
					present, ok := q.iface(&iv)
					if present {
						s.ifaces = append(s.ifaces, iv)
					}
					return ok
				})
			})
		})
	case "networks":
		return once(seen, 51) && q.list(func(i int) bool {
			nv := netView{idx: i}
			present, ok := q.network(&nv)
			if present {
				s.nets = append(s.nets, nv)
				if nv.pod && !s.hasPodNet {
					s.podNet, s.hasPodNet = nv.name, true
				}
			}
			return ok
		})
	case "volumes":
		return once(seen, 52) && q.list(func(i int) bool {
			vv := volView{idx: i}
			present, ok := q.volume(&vv)
			if present {
				s.vols = append(s.vols, vv)
			}
			return ok
		})
	}
	return q.skip()
}

func (q *quickReader) iface(iv *ifaceView) (present, ok bool) {
	var seen, bound uint64
	present, ok = q.object(func(name []byte) bool {
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
			return once(&seen, 3) && q.list(func(j int) bool {
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
			return once(&seen, 4) && q.list(func(j int) bool {
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
	return present, ok
}

func (q *quickReader) network(nv *netView) (present, ok bool) {
	var seen uint64
	return q.object(func(name []byte) bool {
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
func (q *quickReader) volume(vv *volView) (present, ok bool) {
	var seen uint64
	var sources [2]*cloudInitView
	present, ok = q.object(func(name []byte) bool {
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
	return present, ok
}
