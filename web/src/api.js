// The API client: one axios instance on the same origin (the session is the
// HttpOnly `token` cookie, so withCredentials), one function per endpoint of
// docs/openapi.yaml, and errorMessage() turning any failure into the text to show.
import axios from 'axios';

export const http = axios.create({ baseURL: '/api', withCredentials: true, timeout: 15000 });

// With ERROR_STATUS=legacy the server answers errors with 200 and success:false;
// make those reject like real HTTP errors so callers handle one shape.
http.interceptors.response.use((res) => {
  if (res.data && res.data.success === false) {
    const err = new Error(res.data.message || 'Request failed');
    err.response = res;
    return Promise.reject(err);
  }
  return res;
});

// The message to show for a failed request: the API's own `message` when it
// sent one (axios rejects non-2xx; the body is error.response.data), else a
// plain description of what went wrong.
export function errorMessage(err) {
  const data = err?.response?.data;
  if (data && typeof data.message === 'string' && data.message) return data.message;
  if (err?.response?.status === 429) return 'Too many requests, please wait a moment';
  if (err?.response) return `Request failed (HTTP ${err.response.status})`;
  if (err?.request || err?.code === 'ECONNABORTED') return 'Cannot reach the server, please try again';
  return err?.message || 'Something went wrong';
}

// Query parameters for GET /api/tasks: empty filters are left out.
export function taskQuery({ status, priority, tag, search, sort, limit, cursor } = {}) {
  const q = {};
  for (const [k, v] of Object.entries({ status, priority, tag, search, sort, limit, cursor })) {
    const s = typeof v === 'string' ? v.trim() : v;
    if (s !== undefined && s !== null && s !== '') q[k] = s;
  }
  return q;
}

const data = (res) => res.data;

export const api = {
  register: (body) => http.post('/auth/register', body).then(data),
  login: (body) => http.post('/auth/login', body).then(data),
  logout: () => http.post('/auth/logout').then(data),
  sendVerifyOtp: () => http.post('/auth/send-verify-otp').then(data),
  verifyAccount: (otp) => http.post('/auth/verify-account', { otp }).then(data),
  sendResetOtp: (email) => http.post('/auth/send-reset-otp', { email }).then(data),
  resetPassword: (body) => http.post('/auth/reset-password', body).then(data),
  userData: () => http.get('/user/data').then((res) => res.data.userData),
  listTasks: (filters) => http.get('/tasks', { params: taskQuery(filters) }).then(data),
  createTask: (body) => http.post('/tasks', body).then((res) => res.data.task),
  updateTask: (id, body) => http.patch(`/tasks/${encodeURIComponent(id)}`, body).then((res) => res.data.task),
  deleteTask: (id) => http.delete(`/tasks/${encodeURIComponent(id)}`).then(data),
  taskStats: () => http.get('/tasks/stats').then((res) => res.data.stats),
};
